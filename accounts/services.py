"""Writes for users, accounts and the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

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
