"""Who may do what in the current account.

Every page reads `request.membership`, resolved fresh on each request: an
Account Administrator may change things, a Regular Member only looks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext, gettext_lazy

from accounts.current import account_switch
from accounts.services import AccountAdminRequired

# Lazy: the 404 page and the message say them in the language of the request.
NO_BUSINESS_ACCOUNT = gettext_lazy(
    "This page belongs to a business account, and you are not a member of one. "
    "Ask an Account Administrator of your company for an invitation."
)
CHOOSE_BUSINESS_ACCOUNT = gettext_lazy(
    "Choose a business account in the account selector to open this page."
)


def account_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only an Account Administrator of the current account may go on."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.membership is None or not request.membership.is_admin:
            raise AccountAdminRequired("not_admin")
        return view(request, *args, **kwargs)

    return wrapper


def business_account_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page belongs to a business account.

    From the personal account, a person with exactly one business account is taken
    there and the page opens; with several, they choose one on the Dashboard; with
    none, the page does not exist for them (404).
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.account is None or not request.account.is_business:
            business = [m for m in request.memberships if m.account.is_business]
            if not business:
                # A str: Django's 404 page shows only a str message, not a lazy one.
                raise Http404(str(NO_BUSINESS_ACCOUNT))
            if len(business) > 1:
                messages.info(request, CHOOSE_BUSINESS_ACCOUNT)
                return redirect("dashboard")
            membership = business[0]
            account_switch(request, account_id=membership.account_id)
            request.membership = membership
            request.account = membership.account
            messages.info(
                request,
                gettext("Switched to %(account)s (Business Account).")
                % {"account": membership.account.name},
            )
        return view(request, *args, **kwargs)

    return wrapper


def account_wide(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page about the whole account (its profile, users, invitations, audit log,
    webhooks, API tokens): a License Administrator, who sees only the license keys they
    administer, gets a 404, as for a page that is not theirs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if membership is not None and membership.is_license_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
