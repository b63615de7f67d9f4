"""Who may manage license keys on the pages: an Account Administrator (every key of
the account) or a License Administrator (the keys they administer). The rule itself is
`subscriptions.models.license_key_manageable` / `license_key_manageable_q`; the
services check it again under the account's lock (`services.license_key_manage_check`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from accounts.services import AccountAdminRequired
from subscriptions.models import membership_is_license_admin


def may_manage_keys(request: HttpRequest) -> bool:
    """Does the member manage keys at all here: an Account Administrator, or a License
    Administrator (then only the keys, servers and usage they see)?"""
    membership = request.membership
    return membership is not None and (
        membership.is_admin or membership_is_license_admin(membership)
    )


def key_manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An Account Administrator or a License Administrator goes on; the view keeps to
    what the member sees (license_key_visible_q). Others: 403 (not_admin), as
    accounts.permissions.account_admin_required answers."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not may_manage_keys(request):
            raise AccountAdminRequired("not_admin")
        return view(request, *args, **kwargs)

    return wrapper
