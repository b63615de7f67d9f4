"""Writes for users, accounts and the audit log."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, models, transaction

from accounts.models import Account, AuditLog, Membership, User


def audit_log_record(
    *,
    action: str,
    channel: str,
    account: Account | None = None,
    actor: User | None = None,
    actor_label: str = "",
    target: models.Model | None = None,
    target_label: str = "",
    data: dict[str, Any] | None = None,
) -> AuditLog:
    """Record who did what, when and through which channel (pretix's log_action)."""
    if actor is not None and not actor_label:
        actor_label = actor.email
    return AuditLog.objects.create(
        account=account,
        actor=actor,
        actor_label=actor_label[:200],
        channel=channel,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:200],
        data=data or {},
    )


def user_create(
    *, email: str, password: str | None, first_name: str, last_name: str, verified: bool = False
) -> User:
    """Create a person with their personal account; `verified` marks the email as confirmed."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
        personal_account_ensure(user=user)
    return user


def personal_account_ensure(*, user: User) -> Account:
    """Every user has exactly one personal account; create it if it is missing."""
    membership = (
        Membership.objects.filter(user=user, account__kind=Account.Kind.PERSONAL)
        .select_related("account")
        .first()
    )
    if membership is not None:
        return membership.account
    with transaction.atomic():
        account = Account.objects.create(
            kind=Account.Kind.PERSONAL, name=user.get_full_name() or user.email
        )
        Membership.objects.create(
            user=user, account=account, role=Membership.Role.ADMIN, status=Membership.Status.ACTIVE
        )
    return account


def user_profile_update(*, user: User, first_name: str, last_name: str) -> User:
    """Rename the user; their personal account carries their name."""
    with transaction.atomic():
        user.first_name = first_name.strip()
        user.last_name = last_name.strip()
        user.save(update_fields=["first_name", "last_name"])
        Account.objects.filter(kind=Account.Kind.PERSONAL, memberships__user=user).update(
            name=user.get_full_name() or user.email
        )
    return user


def support_code_generate() -> str:
    """A code customers quote to support, like 19240-41140."""
    return f"{secrets.randbelow(90000) + 10000}-{secrets.randbelow(90000) + 10000}"


def business_account_create(
    *,
    admin: User,
    name: str,
    country: str,
    zip_code: str,
    phone: str,
    street: str = "",
    city: str = "",
    state: str = "",
    channel: str = AuditLog.Channel.WEB,
) -> Account:
    """Create a company's business account with `admin` as its Account Administrator."""
    for _ in range(10):
        try:
            with transaction.atomic():
                account = Account.objects.create(
                    kind=Account.Kind.BUSINESS,
                    name=name.strip(),
                    country=country,
                    zip_code=zip_code.strip(),
                    phone=phone.strip(),
                    street=street.strip(),
                    city=city.strip(),
                    state=state.strip(),
                    support_code=support_code_generate(),
                )
                break
        except IntegrityError:  # support code taken: draw another
            continue
    else:  # pragma: no cover - 10 collisions in 8e9 codes
        raise RuntimeError("Could not allocate a support code")
    membership = Membership.objects.create(
        user=admin, account=account, role=Membership.Role.ADMIN, status=Membership.Status.ACTIVE
    )
    audit_log_record(
        account=account,
        actor=admin,
        channel=channel,
        action="account.created",
        target=account,
    )
    audit_log_record(
        account=account,
        actor=admin,
        channel=channel,
        action="membership.created",
        target=membership,
        target_label=admin.email,
        data={"role": membership.role},
    )
    return account
