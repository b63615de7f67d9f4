"""Who may do what in the current account.

Every page reads `request.membership`, resolved fresh on each request: an
Account Administrator may change things, a Regular Member only looks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse


def account_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only an Account Administrator of the current account may go on."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.membership is None or not request.membership.is_admin:
            raise PermissionDenied("Only an Account Administrator can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def business_account_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page belongs to a business account: others get a 404."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.account is None or not request.account.is_business:
            raise Http404("Select a business account first.")
        return view(request, *args, **kwargs)

    return wrapper
