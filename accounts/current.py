"""Which account the signed-in user is working in (kept per session)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Account, Membership
from accounts.services import personal_account_ensure

SESSION_KEY = "current_account_id"


def resolve_current_membership(request: HttpRequest) -> None:
    request.account = None
    request.membership = None
    request.memberships = []
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    memberships = list(
        Membership.objects.filter(user=user, status=Membership.Status.ACTIVE)
        .select_related("account")
        # The account selector shows each account's members, "(2)", as the guide does;
        # the Users tab of the current one reads the same count.
        .with_member_count()
        .with_license_key_count()
        .order_by("account__kind", "account__name")
    )
    if not any(m.account.kind == Account.Kind.PERSONAL for m in memberships):
        personal_account_ensure(user=user)
        return resolve_current_membership(request)
    wanted = request.session.get(SESSION_KEY)
    current = next((m for m in memberships if m.account_id == wanted), None)
    if current is None:
        # First visit, or the chosen account is gone or blocked: prefer a business account.
        current = next((m for m in memberships if m.account.is_business), memberships[0])
    request.memberships = memberships
    request.membership = current
    request.account = current.account


def account_switch(request: HttpRequest, *, account_id: int) -> bool:
    """Select another account for this session; only the user's active memberships count."""
    if not any(m.account_id == account_id for m in request.memberships):
        return False
    request.session[SESSION_KEY] = account_id
    return True
