"""Small factories: tests read like stories with named people (healthchecks' hc/test.py)."""

from __future__ import annotations

import itertools

from accounts import services
from accounts.models import Account, Membership, User

PASSWORD = "correct-horse-battery-staple"
_support_codes = itertools.count(10001)


def user_create(email: str, first_name: str = "Test", last_name: str = "User") -> User:
    return services.user_create(
        email=email, password=PASSWORD, first_name=first_name, last_name=last_name, verified=True
    )


def business_account_create(name: str = "My Company, Inc.", **fields) -> Account:
    fields.setdefault("country", "US")
    fields.setdefault("zip_code", "98004")
    fields.setdefault("phone", "(425)123-4567")
    fields.setdefault("support_code", f"{next(_support_codes)}-41140")
    return Account.objects.create(kind=Account.Kind.BUSINESS, name=name, **fields)


def membership_create(
    user: User,
    account: Account,
    role: str = Membership.Role.MEMBER,
    status: str = Membership.Status.ACTIVE,
) -> Membership:
    return Membership.objects.create(user=user, account=account, role=role, status=status)


def invitation_create(account: Account, email: str, invited_by: User | None = None, **fields):
    """A pending invitation and the token of its link (no email sent)."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Invitation

    fields.setdefault("expires_at", timezone.now() + timedelta(days=7))
    invitation = Invitation.objects.create(
        account=account, email=email.lower(), invited_by=invited_by, **fields
    )
    token = services.invitation_token_issue(invitation_id=invitation.pk)
    invitation.refresh_from_db()
    return invitation, token
