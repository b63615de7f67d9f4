"""Writes for users, accounts and the audit log."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.encoding import is_protected_type
from django.utils.translation import gettext_lazy as _

from accounts import emails
from accounts.audit import ACTIONS as AUDIT_ACTIONS
from accounts.language import language_current, language_supported, time_zone_supported
from accounts.models import (
    Account,
    AuditLog,
    AuditOutbox,
    Feedback,
    Invitation,
    Membership,
    User,
)
from accounts.selectors import invitation_known_emails
from core.errors import DomainError
from outbox.services import email_cancel


def _target_label(target: models.Model | None) -> str:
    """What the entry names when the caller gives no label: the target as it prints, in
    the portal's source language, not the writer's ("Acme (Business Account)"); the Audit
    Log translates its sentences for each reader, the stored words stay the same."""
    if target is None:
        return ""
    with translation.override(None):
        return str(target)


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
    """Record who did what, when and through which channel (pretix's log_action).

    `action` is a code of the catalog (accounts/audit.py ACTIONS), which gives it its
    words on the Audit Log; any other code is a programming error, refused."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"Audit action {action!r} is not in accounts/audit.py ACTIONS")
    if actor is not None and not actor_label:
        actor_label = actor.email
    values = {
        "account": account,
        "actor": actor,
        "actor_label": actor_label[:200],
        "channel": channel,
        "action": action,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None else "",
        "target_label": (target_label or _target_label(target))[:200],
        "data": data or {},
    }
    if not (account is not None and account.is_business):
        return AuditLog.objects.create(**values)
    values["state"] = audit_state(target)
    # Handed to the apps that follow the log (webhooks), in the same transaction: the
    # entry and its outbox row are part of the change itself and go (or roll back) with
    # it.
    with transaction.atomic(savepoint=False):
        entry = AuditLog.objects.create(**values)
        AuditOutbox.objects.create(entry=entry)
    return entry


def _state_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields of `model` its audit state records, in the order Django's serializers
    write them: the concrete model's own serialized fields that are editable, neither
    the primary key nor a password."""
    fields = _STATE_FIELDS.get(model)
    if fields is None:
        fields = _STATE_FIELDS[model] = [
            field
            for field in model._meta.concrete_model._meta.local_fields
            if field.serialize
            and field.editable
            and not field.primary_key
            and field.name != "password"
        ]
    return fields


_STATE_FIELDS: dict[type[models.Model], list[models.Field]] = {}


_ENCODER = DjangoJSONEncoder()


def _state_value(field: models.Field, target: models.Model) -> Any:
    """One field as Django's "python" serializer writes it (a protected type as it is,
    anything else as its field's text), then as JSON reads it back; an F() expression
    not reloaded is no value yet (ValueError)."""
    value = field.value_from_object(target)
    if value is None or type(value) in (str, int, bool, float):
        return value  # protected or text already, and JSON gives it back as it is
    if hasattr(value, "resolve_expression"):
        raise ValueError(f"{field.name} is not a value yet")
    if not is_protected_type(value):
        value = field.value_to_string(target)
        if type(value) is str:
            return value
    if isinstance(value, str | int | float | dict | list | tuple):
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    # A date, time, duration, decimal, UUID or lazy text: the text DjangoJSONEncoder
    # writes for it, which JSON reads back as it is; anything else a TypeError.
    return _ENCODER.default(value)


def audit_state(target: models.Model | None) -> dict[str, Any] | None:
    """The target as the change leaves it, for AuditLog.state: Django's "python"
    serialization of its editable fields (a secret or a hash is never editable; nor is
    a password stored here), as JSON gives it back. None when there is no target or a
    field holds something that is not a value yet (an F() expression not reloaded).

    The serialization of ``serializers.serialize("python", [target], fields=...)`` and
    its JSON round trip, made field by field: the same dictionary, without building a
    serializer and encoding and parsing the whole of it for each entry."""
    if target is None:
        return None
    try:
        return {
            "model": target._meta.label_lower,
            "pk": _state_value(target._meta.pk, target),
            "fields": {f.name: _state_value(f, target) for f in _state_fields(type(target))},
        }
    except (TypeError, ValueError):
        return None


def audit_outbox_take(*, limit: int = 500) -> list[AuditLog]:
    """Take the oldest audit entries no consumer has taken yet, oldest first.

    Call it inside the consumer's transaction: the rows are deleted there, so the
    entries are the caller's once it commits and come back if it rolls back. A second
    taker waits for the first to commit (the oldest row is locked), so consumers see
    the entries in order and never the same one twice.
    """
    ids = list(
        AuditOutbox.objects.select_for_update()
        .order_by("entry_id")
        .values_list("entry_id", flat=True)[:limit]
    )
    if not ids:
        return []
    AuditOutbox.objects.filter(entry_id__in=ids).delete()
    return list(AuditLog.objects.filter(id__in=ids).select_related("account").order_by("id"))


def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str,
    last_name: str,
    verified: bool = False,
    language: str = "",
) -> User:
    """Create a person with their personal account; `verified` marks the email as
    confirmed, `language` (blank: the browser's) is their Personal Profile's."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            language=language_supported(language),
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
        _personal_account_create(user)  # a new person has none to look for
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
        return _personal_account_create(user)


def _personal_account_create(user: User) -> Account:
    """The person's personal account, administered by them: inside the caller's transaction."""
    account = Account.objects.create(
        kind=Account.Kind.PERSONAL, name=user.get_full_name() or user.email
    )
    Membership.objects.create(
        user=user, account=account, role=Membership.Role.ADMIN, status=Membership.Status.ACTIVE
    )
    return account


def user_profile_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    language: str | None = None,
    time_zone: str | None = None,
) -> User:
    """Rename the user (their personal account carries their name) and, when given, set
    the language and time zone their pages and e-mails use ("": the browser's, UTC)."""
    fields = ["first_name", "last_name"]
    with transaction.atomic():
        user.first_name = first_name.strip()
        user.last_name = last_name.strip()
        if language is not None:
            user.language = language_supported(language)
            fields.append("language")
        if time_zone is not None:
            user.time_zone = time_zone_supported(time_zone)
            fields.append("time_zone")
        user.save(update_fields=fields)
        Account.objects.filter(kind=Account.Kind.PERSONAL, memberships__user=user).update(
            name=user.get_full_name() or user.email
        )
    return user


def user_language_set(*, user: User, language: str) -> bool:
    """The footer's language selector, used by a signed-in user: it becomes their
    profile's language. False (nothing changed) for a language the portal does not speak."""
    language = language_supported(language)
    if not language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True


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
    for _attempt in range(10):
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


# --- Business accounts and their people (issue 6) -------------------------------------
#
# Every write below is keyword-only and atomic, re-checks the actor's rights under the
# account's row lock, records an audit entry and sends its emails only after commit.


class AccountsError(DomainError):
    """The message catalog of these services (see core.errors.DomainError)."""

    messages: ClassVar[dict[str, str]] = {
        "not_business": _("This is not a business account."),
        "not_member": _("This person is not a member of this business account."),
        "feedback_empty": _("Write a few words of feedback first."),
        "last_admin_leave": _(
            "You are the only Account Administrator of this business account. Make another "
            "member an Account Administrator before you leave."
        ),
        "last_admin_demote": _(
            "{email} is the only Account Administrator of this business account and cannot "
            "become a Regular Member. Make another member an Account Administrator first."
        ),
        "last_admin_block": _(
            "{email} is the only Account Administrator of this business account and cannot be "
            "blocked. Make another member an Account Administrator first."
        ),
        "last_admin_delete": _(
            "{email} is the only Account Administrator of this business account and cannot be "
            "deleted. Make another member an Account Administrator first."
        ),
        "self_block": _("You cannot block yourself."),
        "self_delete": _("You cannot delete yourself: use Leave This Business Account instead."),
        "already_blocked": _("{email} is already blocked."),
        "not_blocked": _("{email} is not blocked."),
        "no_emails": _("Add at least one email address."),
        "too_many_emails": _("You can invite at most {limit} people at once."),
        "invitation_not_pending": _("This invitation has already been used or withdrawn."),
        "invitation_invalid": _(
            "This invitation link is not valid. Check that you opened the whole link from the "
            "email, or ask an Account Administrator to send you a new invitation."
        ),
        "invitation_expired": _(
            "This invitation has expired. Ask an Account Administrator of {account} to send "
            "you a new one."
        ),
        "invitation_used": _("This invitation has already been used. Sign in to open {account}."),
        "invitation_revoked": _("This invitation to {account} has been withdrawn."),
        "invitation_wrong_user": _(
            "This invitation was sent to {email}, but you are signed in as {current}. "
            "Sign out, then open the link again."
        ),
        "invitation_member_blocked": _(
            "Your membership of {account} is blocked. Ask an Account Administrator to unblock it."
        ),
        "wrong_password": _("The password is not correct."),
        "name_required": _("Please enter your name."),
        "password_invalid": "{detail}",
    }
    fields: ClassVar[dict[str, str]] = {
        "no_emails": "emails",
        "too_many_emails": "emails",
        "wrong_password": "password",
        "password_invalid": "password",
        "name_required": "name",
    }
    statuses: ClassVar[dict[str, int]] = {
        "not_member": 404,
        "invitation_not_pending": 409,
    }


INVITE_LIMIT = 50


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lock_business_account(account: Account) -> Account:
    """Lock the account row: every check-then-act on its members runs one at a time.

    Two administrators demoting each other at once would otherwise both count two
    admins and leave none (DESIGN.md: lock the parent row before you count).
    """
    # FOR NO KEY UPDATE, first in the portal's lock order (core/locks.py).
    locked = Account.objects.select_for_update(no_key=True).get(pk=account.pk)
    if not locked.is_business:
        raise AccountsError("not_business")
    return locked


class AccountAdminRequired(DomainError, PermissionDenied):
    """The one refusal of the role check, whatever app asks it: only an active Account
    Administrator may change things in an account. A DomainError (the APIs answer 403
    with code ``not_admin``) and a PermissionDenied (a page that does not catch it answers
    with the 403 page), so every surface says the same."""

    messages: ClassVar[dict[str, str]] = {
        "not_admin": _("Only an Account Administrator can do this."),
    }
    statuses: ClassVar[dict[str, int]] = {"not_admin": 403}


def is_account_admin(*, user: User, account: Account | None, lock: bool = False) -> bool:
    """Whether `user` is an active Account Administrator of `account`, read fresh.

    With `lock`, inside a transaction, the account row is locked first — the lock the
    membership services take — so a demotion or block of the actor that commits first
    is seen, not missed."""
    if account is None:
        return False
    if lock:
        # FOR NO KEY UPDATE, first in the portal's lock order (core/locks.py): an
        # activation's inserts that point at the account (KEY SHARE) pass it.
        Account.objects.select_for_update(no_key=True).filter(pk=account.pk).first()
    return Membership.objects.active_admins().filter(account=account, user=user).exists()


def account_admin_check(*, actor: User, account: Account | None, lock: bool = False) -> None:
    """The role check of every service that changes an account (defence in depth: the
    views check too, but the service is the last word). Raises AccountAdminRequired.

    Call it inside the transaction; `lock` as for `is_account_admin` (the membership
    services pass False: they hold the account's lock already)."""
    if not is_account_admin(user=actor, account=account, lock=lock):
        raise AccountAdminRequired("not_admin")


def _other_active_admins(*, account: Account, membership: Membership) -> int:
    return (
        Membership.objects.active_admins().filter(account=account).exclude(pk=membership.pk).count()
    )


def membership_demotes_last_admin(*, account: Account, membership: Membership, role: str) -> bool:
    """Whether giving `membership` `role` would leave the account without an active
    Account Administrator: the rule every role change obeys (the page, the API, SCIM's
    group and an SSO sign-in whose groups changed). The caller holds the account's lock."""
    return (
        membership.is_admin
        and role != Membership.Role.ADMIN
        and not _other_active_admins(account=account, membership=membership)
    )


def _lock_membership(*, account: Account, membership_id: int) -> Membership:
    try:
        return (
            Membership.objects.select_for_update(of=("self",), no_key=True)
            .select_related("user")
            .get(pk=membership_id, account=account)
        )
    except Membership.DoesNotExist:
        raise AccountsError("not_member") from None


def _membership_email(kind: str, membership: Membership) -> None:
    # Written to the outbox in this transaction: it goes out if, and only if, it commits.
    emails.membership_email(kind=kind, user=membership.user, account=membership.account)


def feedback_submit(
    *, user: User, account: Account | None, message: str, page: str = ""
) -> Feedback:
    """Keep a customer's feedback for staff and, when FEEDBACK_EMAIL is set, write its
    e-mail to the outbox in the same transaction."""
    message = message.strip()
    if not message:
        raise AccountsError("feedback_empty")
    with transaction.atomic():
        feedback = Feedback.objects.create(
            user=user, email=user.email, account=account, page=page[:500], message=message
        )
        if settings.FEEDBACK_EMAIL:
            feedback.outbox_email = emails.feedback_email(feedback=feedback)
            feedback.save(update_fields=["outbox_email"])
    return feedback


def business_profile_update(
    *,
    account: Account,
    actor: User,
    name: str,
    country: str,
    state: str,
    zip_code: str,
    phone: str,
    street: str = "",
    city: str = "",
    channel: str = AuditLog.Channel.WEB,
) -> Account:
    """Edit Company Information (Account Administrators only)."""
    values = {
        "name": name.strip(),
        "street": street.strip(),
        "city": city.strip(),
        "country": country,
        "state": state.strip(),
        "zip_code": zip_code.strip(),
        "phone": phone.strip(),
    }
    with transaction.atomic():
        locked = _lock_business_account(account)
        account_admin_check(account=locked, actor=actor)
        changes = {
            attr: [str(getattr(locked, attr)), str(value)]
            for attr, value in values.items()
            if str(getattr(locked, attr)) != str(value)
        }
        for attr, value in values.items():
            setattr(locked, attr, value)
        locked.save(update_fields=list(values))
        audit_log_record(
            account=locked,
            actor=actor,
            channel=channel,
            action="account.updated",
            target=locked,
            target_label=locked.name,
            data={"changes": changes},
        )
    return locked


@dataclass
class InvitationOutcome:
    """What invitation_create did with each address: invited, or why not."""

    invited: list[Invitation] = field(default_factory=list)
    already_members: list[str] = field(default_factory=list)
    already_invited: list[str] = field(default_factory=list)


def _invitation_send(invitation: Invitation) -> None:
    """Draw a new link and write its e-mail to the outbox, in the caller's transaction.

    Only the token's hash is stored on the invitation; the token itself is in the
    e-mail's body until the outbox has sent it. An earlier e-mail still waiting is
    canceled: its link is dead.
    """
    email_cancel(email=invitation.outbox_email)
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _token_hash(token)
    invitation.outbox_email = emails.invitation_email(invitation=invitation, token=token)
    invitation.save(update_fields=["token_hash", "outbox_email"])


def invitation_create(
    *,
    account: Account,
    actor: User,
    emails: list[str],
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> InvitationOutcome:
    """Invite people by email. Members and people already invited are reported, not mailed."""
    now = now or timezone.now()
    wanted: list[str] = []
    for email in emails:
        email = email.strip().lower()
        if email and email not in wanted:
            wanted.append(email)
    if not wanted:
        raise AccountsError("no_emails")
    if len(wanted) > INVITE_LIMIT:
        raise AccountsError("too_many_emails", limit=INVITE_LIMIT)
    outcome = InvitationOutcome()
    with transaction.atomic():
        locked = _lock_business_account(account)
        account_admin_check(account=locked, actor=actor)
        members, pending = invitation_known_emails(account=locked, emails=wanted)
        expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)
        for email in wanted:
            if email in members:
                outcome.already_members.append(email)
                continue
            if email in pending:
                outcome.already_invited.append(email)
                continue
            invitation = Invitation.objects.create(
                account=locked,
                email=email,
                invited_by=actor,
                expires_at=expires_at,
                language=language_supported(actor.language) or language_current(),
            )
            audit_log_record(
                account=locked,
                actor=actor,
                channel=channel,
                action="invitation.created",
                target=invitation,
                target_label=email,
            )
            _invitation_send(invitation)
            outcome.invited.append(invitation)
    return outcome


def _lock_pending_invitation(*, account: Account, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update(no_key=True)
        .filter(pk=invitation_id, account=account)
        .first()
    )
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        raise AccountsError("invitation_not_pending")
    return invitation


def invitation_resend(
    *,
    invitation: Invitation,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> Invitation:
    """Send a pending invitation again with a new link; the old link stops working."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_business_account(invitation.account)
        account_admin_check(account=locked, actor=actor)
        invitation = _lock_pending_invitation(account=locked, invitation_id=invitation.pk)
        invitation.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)
        invitation.save(update_fields=["expires_at"])
        _invitation_send(invitation)  # a new link: the old one dies now
        audit_log_record(
            account=locked,
            actor=actor,
            channel=channel,
            action="invitation.resent",
            target=invitation,
            target_label=invitation.email,
        )
    return invitation


def invitation_revoke(
    *,
    invitation: Invitation,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> Invitation:
    """Withdraw a pending invitation: its link stops working."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_business_account(invitation.account)
        account_admin_check(account=locked, actor=actor)
        invitation = _lock_pending_invitation(account=locked, invitation_id=invitation.pk)
        invitation.status = Invitation.Status.REVOKED
        invitation.revoked_at = now
        invitation.token_hash = None
        invitation.save(update_fields=["status", "revoked_at", "token_hash"])
        email_cancel(email=invitation.outbox_email)  # not yet sent: it never will be
        audit_log_record(
            account=locked,
            actor=actor,
            channel=channel,
            action="invitation.revoked",
            target=invitation,
            target_label=invitation.email,
        )
    return invitation


def invitation_for_token(*, token: str, now: datetime | None = None) -> Invitation:
    """The invitation a link points at, or the AccountsError that says why it cannot be used."""
    now = now or timezone.now()
    invitation = (
        Invitation.objects.select_related("account").filter(token_hash=_token_hash(token)).first()
        if token
        else None
    )
    if invitation is None:
        # Revoked and resent invitations lose their hash, so an old link lands here too.
        raise AccountsError("invitation_invalid")
    account = invitation.account.name
    if invitation.status == Invitation.Status.ACCEPTED:
        raise AccountsError("invitation_used", account=account)
    if invitation.status == Invitation.Status.REVOKED:
        raise AccountsError("invitation_revoked", account=account)
    if invitation.is_expired(now):
        raise AccountsError("invitation_expired", account=account)
    return invitation


def _split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


# What apps above accounts attach to an invitation and do when it is accepted, in the
# acceptance's transaction: subscriptions makes the new member License Administrator of
# the keys the invitation names (registered in its AppConfig.ready; accounts cannot
# import it). Each is called as hook(invitation=..., membership=..., channel=...).
INVITATION_ACCEPTED: list[Callable[..., None]] = []


def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    name: str = "",
    password: str = "",
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> Membership:
    """Join account: the invited person becomes a Regular Member.

    `user` is the signed-in person (must own the invited email); otherwise a person
    who has an account proves it with `password`, and a new person gets one (with
    their personal account) from `name` and `password` - the emailed link proved
    the address, so it is verified.
    """
    now = now or timezone.now()
    with transaction.atomic():
        found = invitation_for_token(token=token, now=now)
        locked_account = _lock_business_account(found.account)
        # Under the lock, read again: a parallel accept or revoke may have won.
        invitation = invitation_for_token(token=token, now=now)
        email = invitation.email
        if user is not None:
            if user.email.lower() != email:
                raise AccountsError("invitation_wrong_user", email=email, current=user.email)
        else:
            user = User.objects.filter(email__iexact=email).first()
            if user is not None:
                if not password or not user.check_password(password):
                    raise AccountsError("wrong_password")
            else:
                name = " ".join(name.split())
                if not name:
                    raise AccountsError("name_required")
                first_name, last_name = _split_name(name)
                candidate = User(email=email, first_name=first_name, last_name=last_name)
                try:
                    validate_password(password, user=candidate)
                except ValidationError as error:
                    raise AccountsError(
                        "password_invalid", detail=" ".join(error.messages)
                    ) from None
                user = user_create(
                    email=email,
                    password=password,
                    first_name=first_name,
                    last_name=last_name,
                    verified=True,
                    # Who joins from the invitation's page speaks its language.
                    language=language_current(),
                )
        EmailAddress.objects.filter(user=user, email__iexact=email).update(verified=True)
        membership = Membership.objects.filter(account=locked_account, user=user).first()
        if membership is not None and not membership.is_active:
            raise AccountsError("invitation_member_blocked", account=locked_account.name)
        created = membership is None
        if created:
            membership = Membership.objects.create(
                account=locked_account,
                user=user,
                role=Membership.Role.MEMBER,
                status=Membership.Status.ACTIVE,
            )
        invitation.status = Invitation.Status.ACCEPTED
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.token_hash = None  # single use
        invitation.save(update_fields=["status", "accepted_at", "accepted_by", "token_hash"])
        for hook in INVITATION_ACCEPTED:
            hook(invitation=invitation, membership=membership, channel=channel)
        audit_log_record(
            account=locked_account,
            actor=user,
            channel=channel,
            action="invitation.accepted",
            target=invitation,
            target_label=email,
        )
        if created:
            audit_log_record(
                account=locked_account,
                actor=user,
                channel=channel,
                action="membership.created",
                target=membership,
                target_label=email,
                data={"role": membership.role, "via": "invitation"},
            )
    return membership


def membership_update(
    *,
    membership: Membership,
    actor: User,
    role: str,
    notes: str,
    channel: str = AuditLog.Channel.WEB,
    via: str | None = None,
) -> Membership:
    """Promote or demote a member and keep notes; the last active admin stays an admin."""
    if role not in Membership.Role.values:
        raise ValueError(f"Unknown role {role!r}")
    with transaction.atomic():
        account = _lock_business_account(membership.account)
        account_admin_check(account=account, actor=actor)
        locked = _lock_membership(account=account, membership_id=membership.pk)
        if membership_demotes_last_admin(account=account, membership=locked, role=role):
            raise AccountsError("last_admin_demote", email=locked.user.email)
        return membership_change_save(
            account=account,
            membership=locked,
            actor=actor,
            role=role,
            notes=notes,
            channel=channel,
            via=via,
        )


def membership_change_save(
    *,
    account: Account,
    membership: Membership,
    actor: User,
    role: str,
    notes: str,
    channel: str,
    via: str | None = None,
) -> Membership:
    """Write a member's role and notes and record what changed: the one place a role
    change is saved and audited (`membership.role_changed`, which the webhooks send as
    `member.role_changed`). The caller holds the account's and the membership's locks and
    has applied its rules (who may change it, the last active administrator)."""
    changes = {}
    if membership.role != role:
        changes["role"] = [membership.role, role]
    if membership.notes != notes:
        changes["notes"] = True
    if not changes:
        return membership
    membership.role = role
    membership.notes = notes
    membership.save(update_fields=["role", "notes"])
    audit_log_record(
        account=account,
        actor=actor,
        channel=channel,
        action="membership.role_changed" if "role" in changes else "membership.updated",
        target=membership,
        target_label=membership.user.email,
        data={"role": changes.get("role"), "notes_changed": "notes" in changes, **_via(via)},
    )
    return membership


def _via(via: str | None) -> dict[str, str]:
    """What an entry records of the way a change came, when a caller above names one
    (`scim`: the company's identity provider); the webhook events' `via` reads it."""
    return {"via": via} if via else {}


def membership_block(
    *,
    membership: Membership,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    via: str | None = None,
) -> Membership:
    """Revoke a member's access and keep the membership; they get an email."""
    with transaction.atomic():
        account = _lock_business_account(membership.account)
        account_admin_check(account=account, actor=actor)
        locked = _lock_membership(account=account, membership_id=membership.pk)
        # The last-admin rule speaks first: it is the reason that matters to the actor.
        if locked.is_admin and not _other_active_admins(account=account, membership=locked):
            raise AccountsError("last_admin_block", email=locked.user.email)
        if locked.user_id == actor.pk:
            raise AccountsError("self_block")
        if not locked.is_active:
            raise AccountsError("already_blocked", email=locked.user.email)
        locked.status = Membership.Status.BLOCKED
        locked.save(update_fields=["status"])
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="membership.blocked",
            target=locked,
            target_label=locked.user.email,
            data=_via(via),
        )
        _membership_email("blocked", locked)
    return locked


def membership_unblock(
    *,
    membership: Membership,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    via: str | None = None,
) -> Membership:
    """Give a blocked member their access back, in the role they had."""
    with transaction.atomic():
        account = _lock_business_account(membership.account)
        account_admin_check(account=account, actor=actor)
        locked = _lock_membership(account=account, membership_id=membership.pk)
        if locked.is_active:
            raise AccountsError("not_blocked", email=locked.user.email)
        locked.status = Membership.Status.ACTIVE
        locked.save(update_fields=["status"])
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="membership.unblocked",
            target=locked,
            target_label=locked.user.email,
            data=_via(via),
        )
        _membership_email("unblocked", locked)
    return locked


def membership_delete(
    *,
    membership: Membership,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    via: str | None = None,
) -> None:
    """Remove a person from the business account; they can be invited again later."""
    with transaction.atomic():
        account = _lock_business_account(membership.account)
        account_admin_check(account=account, actor=actor)
        locked = _lock_membership(account=account, membership_id=membership.pk)
        if locked.is_admin and not _other_active_admins(account=account, membership=locked):
            raise AccountsError("last_admin_delete", email=locked.user.email)
        if locked.user_id == actor.pk:
            raise AccountsError("self_delete")
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="membership.deleted",
            target=locked,
            target_label=locked.user.email,
            data={"role": locked.role, "status": locked.status, **_via(via)},
        )
        _membership_email("removed", locked)
        locked.delete()


def membership_leave(*, membership: Membership, channel: str = AuditLog.Channel.WEB) -> None:
    """Leave This Business Account. The last active administrator cannot."""
    with transaction.atomic():
        account = _lock_business_account(membership.account)
        locked = _lock_membership(account=account, membership_id=membership.pk)
        if locked.is_admin and not _other_active_admins(account=account, membership=locked):
            raise AccountsError("last_admin_leave")
        audit_log_record(
            account=account,
            actor=locked.user,
            channel=channel,
            action="membership.left",
            target=locked,
            target_label=locked.user.email,
            data={"role": locked.role},
        )
        locked.delete()
