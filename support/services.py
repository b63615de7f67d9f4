"""Writes for support tickets: create, reply, close, reopen, staff replies and notes,
status and assignee, watchers.

Every change that people of the account should hear of (a public reply, a status
change) writes one e-mail per language to the ticket's watchers, in the change's own
transaction (support.emails, through the outbox), never to the person who made it.
Staff-internal notes are never e-mailed and never audited for the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AuditLog, Membership, User
from accounts.services import audit_log_record
from proxies.models import ProxyServer
from subscriptions.models import LicenseKey, Subscription
from support import attachments as attachment_rules
from support import emails, selectors
from support.errors import SupportError
from support.models import Ticket, TicketAttachment, TicketMessage, TicketWatcher

SUBJECT_MAX = 200
BODY_MAX = 20_000


@dataclass(frozen=True)
class Upload:
    """A file as given (page or API), before its checks."""

    name: str
    content: bytes


def _membership(*, account: Account, user: User, lock: bool = False) -> Membership:
    qs = Membership.objects.filter(
        account=account, user=user, status=Membership.Status.ACTIVE, user__is_active=True
    )
    if lock:
        qs = qs.select_for_update(of=("self",), no_key=True)
    membership = qs.first()
    if membership is None:
        raise SupportError("not_member")
    return membership


def _staff_check(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise SupportError("not_staff")


def _body_clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise SupportError("message_required")
    return body[:BODY_MAX]


def uploads_check(uploads: Sequence[Upload]) -> list[tuple[Upload, str]]:
    """Each file with the type its content shows; refused when too many, too large or
    of a type support does not take. Nothing is stored until all pass."""
    if len(uploads) > attachment_rules.max_files():
        raise SupportError("too_many_attachments", limit=attachment_rules.max_files())
    checked = []
    for upload in uploads:
        name = (upload.name or "attachment").replace("/", "_").replace("\\", "_")[-200:]
        if len(upload.content) > attachment_rules.max_bytes():
            raise SupportError(
                "attachment_too_large", name=name, limit=attachment_rules.max_bytes() // 2**20
            )
        content_type = attachment_rules.content_type_detect(
            upload.content[: attachment_rules.SNIFF_BYTES]
        )
        if content_type is None:
            raise SupportError("attachment_type", name=name)
        checked.append((Upload(name=name, content=upload.content), content_type))
    return checked


def _attachments_save(message: TicketMessage, checked: list[tuple[Upload, str]]) -> None:
    for upload, content_type in checked:
        attachment = TicketAttachment(
            message=message, name=upload.name, content_type=content_type, size=len(upload.content)
        )
        # The file is written now; if the transaction rolls back it stays as an orphan
        # under MEDIA_ROOT/support/, never reachable (the view serves rows, not paths).
        attachment.file.save(upload.name, ContentFile(upload.content), save=False)
        attachment.save()


def _audit(
    *,
    ticket: Ticket,
    action: str,
    actor: User,
    channel: str,
    data: dict | None = None,
    target_label: str = "",
) -> None:
    audit_log_record(
        account=ticket.account,
        actor=actor,
        channel=channel,
        action=action,
        target=ticket,
        target_label=target_label or f"#{ticket.pk} {ticket.subject}",
        data=data,
    )


def _concern_check(
    *,
    account: Account,
    subscription: Subscription | None,
    license_key: LicenseKey | None,
    proxy_server: ProxyServer | None,
) -> Subscription | None:
    """What the ticket concerns must be the account's own; the subscription follows
    from the key or the server when only they are given."""
    if subscription is not None and subscription.account_id != account.pk:
        raise SupportError("subscription_unknown")
    if license_key is not None and (
        license_key.subscription.account_id != account.pk or license_key.deleted_at is not None
    ):
        raise SupportError("license_key_unknown")
    if proxy_server is not None and proxy_server.account_id != account.pk:
        raise SupportError("proxy_server_unknown")
    implied = {
        key.subscription_id
        for key in (license_key, proxy_server.license_key if proxy_server else None)
        if key is not None
    }
    if subscription is not None:
        implied.add(subscription.pk)
    if len(implied) > 1:
        raise SupportError("concern_mismatch")
    if subscription is None and implied:
        subscription = Subscription.objects.get(pk=implied.pop())
    return subscription


def ticket_create(
    *,
    account: Account,
    author: User,
    subject: str,
    category: str,
    message: str,
    subscription: Subscription | None = None,
    license_key: LicenseKey | None = None,
    proxy_server: ProxyServer | None = None,
    uploads: Sequence[Upload] = (),
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket for the account; its author watches it. A technical ticket about a
    subscription with a limited number of support incidents uses one of them."""
    now = now or timezone.now()
    subject = " ".join((subject or "").split())[:SUBJECT_MAX]
    if not subject:
        raise SupportError("subject_required")
    if category not in Ticket.Category.values:
        raise SupportError("category_invalid")
    body = _body_clean(message)
    checked = uploads_check(uploads)
    with transaction.atomic():
        _membership(account=account, user=author)
        subscription = _concern_check(
            account=account,
            subscription=subscription,
            license_key=license_key,
            proxy_server=proxy_server,
        )
        uses_incident = False
        if (
            category == Ticket.Category.TECHNICAL
            and subscription is not None
            and subscription.support_incidents is not None
        ):
            # Lock the subscription before counting: two tickets at once cannot both
            # take the last incident.
            subscription = Subscription.objects.select_for_update(no_key=True).get(
                pk=subscription.pk
            )
            if not selectors.incidents_left(subscription=subscription):
                raise SupportError("no_incidents_left", subscription=subscription.display_name)
            uses_incident = True
        ticket = Ticket.objects.create(
            account=account,
            author=author,
            subject=subject,
            category=category,
            subscription=subscription,
            license_key=license_key,
            proxy_server=proxy_server,
            uses_incident=uses_incident,
            created_at=now,
            updated_at=now,
        )
        first = TicketMessage.objects.create(
            ticket=ticket, author=author, body=body, created_at=now
        )
        _attachments_save(first, checked)
        TicketWatcher.objects.create(ticket=ticket, user=author)
        _audit(
            ticket=ticket,
            action="ticket.created",
            actor=author,
            channel=channel,
            data={"category": category, "uses_incident": uses_incident},
        )
    return ticket


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",), no_key=True)
        .select_related("account")
        .get(pk=ticket.pk)
    )


def ticket_reply(
    *,
    ticket: Ticket,
    author: User,
    message: str,
    uploads: Sequence[Upload] = (),
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> TicketMessage:
    """A person of the account replies. The ticket goes back to Open (from Waiting for
    you or Resolved); a closed ticket must be reopened first. The other watchers get
    one e-mail."""
    now = now or timezone.now()
    body = _body_clean(message)
    checked = uploads_check(uploads)
    with transaction.atomic():
        locked = _lock(ticket)
        _membership(account=locked.account, user=author)
        if locked.is_closed:
            raise SupportError("ticket_closed")
        reply = TicketMessage.objects.create(
            ticket=locked, author=author, body=body, created_at=now
        )
        _attachments_save(reply, checked)
        locked.status = Ticket.Status.OPEN
        locked.updated_at = now
        locked.save(update_fields=["status", "updated_at"])
        _audit(ticket=locked, action="ticket.replied", actor=author, channel=channel)
        emails.ticket_reply_email(
            ticket=locked,
            message=reply,
            recipients=selectors.watcher_recipients(ticket=locked, exclude=author),
        )
    ticket.status, ticket.updated_at = locked.status, locked.updated_at
    return reply


def _status_change(
    *,
    locked: Ticket,
    status: str,
    actor: User,
    channel: str,
    action: str,
    now: datetime,
    by_staff: bool = False,
) -> None:
    old = locked.status
    locked.status = status
    locked.updated_at = now
    locked.save(update_fields=["status", "updated_at"])
    _audit(
        ticket=locked, action=action, actor=actor, channel=channel, data={"status": [old, status]}
    )
    emails.ticket_status_email(
        ticket=locked,
        old=old,
        actor=actor,
        by_staff=by_staff,
        recipients=selectors.watcher_recipients(ticket=locked, exclude=actor),
    )


def ticket_close(
    *,
    ticket: Ticket,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """A person of the account closes the ticket: no more replies until it is reopened."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        _membership(account=locked.account, user=actor)
        if locked.is_closed:
            raise SupportError("already_closed")
        _status_change(
            locked=locked,
            status=Ticket.Status.CLOSED,
            actor=actor,
            channel=channel,
            action="ticket.closed",
            now=now,
        )
    return locked


def ticket_reopen(
    *,
    ticket: Ticket,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """A person of the account reopens a closed or resolved ticket (no new incident)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        _membership(account=locked.account, user=actor)
        if locked.status not in (Ticket.Status.CLOSED, Ticket.Status.RESOLVED):
            raise SupportError("not_closed")
        _status_change(
            locked=locked,
            status=Ticket.Status.OPEN,
            actor=actor,
            channel=channel,
            action="ticket.reopened",
            now=now,
        )
    return locked


# The support team, in Django admin


def ticket_staff_reply(
    *,
    ticket: Ticket,
    staff: User,
    message: str,
    internal: bool = False,
    status: str | None = None,
    channel: str = AuditLog.Channel.ADMIN,
    now: datetime | None = None,
) -> TicketMessage:
    """The support team answers (public: the ticket becomes Waiting for you, or
    `status`) or writes an internal note (no e-mail, no status change unless `status`
    is given, then told as a status change). One e-mail per watcher either way."""
    _staff_check(staff)
    now = now or timezone.now()
    body = _body_clean(message)
    if status is not None and status not in Ticket.Status.values:
        raise SupportError("status_invalid")
    with transaction.atomic():
        locked = _lock(ticket)
        note = TicketMessage.objects.create(
            ticket=locked,
            author=staff,
            from_staff=True,
            internal=internal,
            body=body,
            created_at=now,
        )
        if internal:
            if status is not None and status != locked.status:
                _status_change(
                    locked=locked,
                    status=status,
                    actor=staff,
                    channel=channel,
                    action="ticket.status_changed",
                    now=now,
                    by_staff=True,
                )
            return note
        old = locked.status
        locked.status = status or Ticket.Status.WAITING
        locked.updated_at = now
        locked.save(update_fields=["status", "updated_at"])
        _audit(
            ticket=locked,
            action="ticket.replied",
            actor=staff,
            channel=channel,
            data={"status": [old, locked.status]} if old != locked.status else None,
        )
        # The reply and its status change are one change: one e-mail that says both.
        emails.ticket_reply_email(
            ticket=locked,
            message=note,
            recipients=selectors.watcher_recipients(ticket=locked, exclude=staff),
            old_status=old,
        )
    return note


def ticket_status_set(
    *,
    ticket: Ticket,
    staff: User,
    status: str,
    channel: str = AuditLog.Channel.ADMIN,
    now: datetime | None = None,
) -> Ticket:
    """The support team sets a ticket's status (Resolved, say); watchers are told."""
    _staff_check(staff)
    if status not in Ticket.Status.values:
        raise SupportError("status_invalid")
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.status == status:
            raise SupportError("status_unchanged")
        _status_change(
            locked=locked,
            status=status,
            actor=staff,
            channel=channel,
            action="ticket.status_changed",
            now=now,
            by_staff=True,
        )
    return locked


def ticket_assign(*, ticket: Ticket, staff: User, assignee: User | None) -> Ticket:
    """Who in the support team works the ticket (staff only; the account is not told)."""
    _staff_check(staff)
    if assignee is not None:
        _staff_check(assignee)
    with transaction.atomic():
        locked = _lock(ticket)
        locked.assignee = assignee
        locked.save(update_fields=["assignee"])
    return locked


# Watchers


def _watcher_rights(*, account: Account, actor: User, user: User) -> None:
    """A member changes their own watching; an Account Administrator anyone's."""
    membership = _membership(account=account, user=actor)
    if user.pk != actor.pk and not membership.is_admin:
        raise SupportError("not_admin_watchers")


def _name(user: User) -> str:
    return user.get_full_name() or user.email


def watcher_add(
    *, ticket: Ticket, user: User, actor: User, channel: str = AuditLog.Channel.WEB
) -> TicketWatcher:
    with transaction.atomic():
        locked = _lock(ticket)
        _watcher_rights(account=locked.account, actor=actor, user=user)
        if not selectors.account_members(account=locked.account).filter(pk=user.pk).exists():
            raise SupportError("watcher_not_member")
        watcher, created = TicketWatcher.objects.get_or_create(ticket=locked, user=user)
        if not created:
            raise SupportError("already_watching", name=_name(user))
        _audit(
            ticket=locked,
            action="ticket.watcher_added",
            actor=actor,
            channel=channel,
            target_label=user.email,
            data={"ticket": locked.pk},
        )
    return watcher


def watcher_remove(
    *, ticket: Ticket, user: User, actor: User, channel: str = AuditLog.Channel.WEB
) -> None:
    with transaction.atomic():
        locked = _lock(ticket)
        _watcher_rights(account=locked.account, actor=actor, user=user)
        deleted, _ = TicketWatcher.objects.filter(ticket=locked, user=user).delete()
        if not deleted:
            raise SupportError("not_watching", name=_name(user))
        _audit(
            ticket=locked,
            action="ticket.watcher_removed",
            actor=actor,
            channel=channel,
            target_label=user.email,
            data={"ticket": locked.pk},
        )
