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


def subscription_create(
    account: Account | None = None,
    licenses: int = 10,
    *,
    days: int = 365,
    starts_on=None,
    ends_on=None,
    trial: bool = False,
    offline: bool = False,
    name: str = "",
):
    """A subscription with its primary key (and a purchase order), as sales issue it;
    registered to `account` when given. The primary key is `subscription.primary_key`."""
    from datetime import timedelta

    from django.utils import timezone

    from subscriptions.services import subscription_issue

    starts_on = starts_on or timezone.localdate()
    return subscription_issue(
        licenses=licenses,
        starts_on=starts_on,
        ends_on=ends_on or starts_on + timedelta(days=days),
        trial=trial,
        offline_allowed=offline,
        account=account,
        name=name,
        channel="system",
    )


def license_key_create(subscription, quota: int, type: str = "reserved", name: str = "", **fields):
    """A sublicense written straight to the database (no quota rules): for setting scenes."""
    from subscriptions.models import LicenseKey

    return LicenseKey.objects.create(
        subscription=subscription, quota=quota, type=type, name=name or f"Key {quota}", **fields
    )


def invitation_create(account: Account, email: str, invited_by: User | None = None, **fields):
    """A pending invitation and the token of its link (no e-mail written)."""
    import hashlib
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Invitation

    token = secrets.token_urlsafe(32)
    fields.setdefault("expires_at", timezone.now() + timedelta(days=7))
    invitation = Invitation.objects.create(
        account=account,
        email=email.lower(),
        invited_by=invited_by,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        **fields,
    )
    return invitation, token


def license_key_administrator_create(user: User, license_key) -> Membership:
    """Make `user` a License Administrator of `license_key` (a Regular Member of its
    account first, when not a member yet), straight to the database."""
    from subscriptions.models import LicenseKeyAdministrator

    account = license_key.subscription.account
    membership = Membership.objects.filter(user=user, account=account).first()
    if membership is None:
        membership = membership_create(user, account)
    LicenseKeyAdministrator.objects.create(membership=membership, license_key=license_key)
    return membership
