"""Writing to the outbox: the one way the portal sends an e-mail.

Call `email_queue` (`email_queue_many` for a batch of EmailDraft, `email_queue_message`
for a message built elsewhere, such as allauth's) inside the transaction of the change that causes the e-mail: the row
commits or rolls back with it. After commit the sending task is enqueued
(outbox.tasks.email_send_task); if the broker is down that is logged, never raised,
and the sweep (outbox.tasks.email_sweep_task) sends the e-mail once it is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from outbox import delivery, tasks
from outbox.models import OutboxEmail


@dataclass(frozen=True)
class EmailDraft:
    """An e-mail rendered and addressed, not yet in the outbox (for email_queue_many)."""

    kind: str
    to: Sequence[str]
    subject: str
    body: str
    html: str = ""
    from_email: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def email_queue_many(
    drafts: Sequence[EmailDraft], *, now: datetime | None = None
) -> list[OutboxEmail]:
    """Write e-mails to the outbox in one INSERT; each is sent once the caller's
    transaction commits."""
    now = now or timezone.now()
    emails = OutboxEmail.objects.bulk_create(
        [
            OutboxEmail(
                kind=draft.kind[:100],
                to=list(draft.to),
                from_email=draft.from_email or settings.DEFAULT_FROM_EMAIL,
                subject=" ".join(draft.subject.split()),  # a header: no line breaks
                body=draft.body,
                html=draft.html,
                headers=dict(draft.headers),
                created_at=now,
                next_attempt_at=now + delivery.sweep_after(),
            )
            for draft in drafts
        ]
    )
    for email in emails:
        transaction.on_commit(partial(tasks.email_dispatch, email.pk))
    return emails


def email_queue(
    *,
    kind: str,
    to: Sequence[str],
    subject: str,
    body: str,
    html: str = "",
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    now: datetime | None = None,
) -> OutboxEmail:
    """Write an e-mail to the outbox; it is sent once the caller's transaction commits."""
    draft = EmailDraft(
        kind=kind,
        to=to,
        subject=subject,
        body=body,
        html=html,
        from_email=from_email,
        headers=headers or {},
    )
    [email] = email_queue_many([draft], now=now)
    return email


def email_queue_message(message: EmailMessage, *, kind: str) -> OutboxEmail:
    """Write a ready-made Django e-mail (text, optional HTML alternative) to the outbox."""
    if message.attachments:
        raise ValueError("The outbox does not carry attachments.")
    body, html = message.body, ""
    if getattr(message, "content_subtype", "plain") == "html":
        body, html = "", message.body
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            html = str(content)
    return email_queue(
        kind=kind,
        to=message.to,
        subject=message.subject,
        body=body,
        html=html,
        from_email=message.from_email,
        headers={str(k): str(v) for k, v in message.extra_headers.items()},
    )


def email_cancel(*, email: OutboxEmail | None) -> bool:
    """Do not send an e-mail that is still waiting (its link was withdrawn)."""
    if email is None:
        return False
    return bool(
        OutboxEmail.objects.filter(pk=email.pk, status=OutboxEmail.Status.QUEUED).update(
            status=OutboxEmail.Status.CANCELED, body="", html=""
        )
    )


def email_requeue(*, email_ids: Sequence[int], now: datetime | None = None) -> int:
    """Send failed e-mails again (staff, from Django admin), with a fresh set of attempts."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            OutboxEmail.objects.select_for_update()
            .filter(pk__in=email_ids, status=OutboxEmail.Status.FAILED)
            .values_list("id", flat=True)
        )
        OutboxEmail.objects.filter(pk__in=ids).update(
            status=OutboxEmail.Status.QUEUED,
            attempts=0,
            claimed_at=None,
            next_attempt_at=now + delivery.sweep_after(),
        )
        for email_id in ids:
            transaction.on_commit(partial(tasks.email_dispatch, email_id))
    return len(ids)
