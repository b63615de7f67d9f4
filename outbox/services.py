"""Writing to the outbox: the one way the portal sends an e-mail.

Call `email_queue` (or `email_queue_message` for a message built elsewhere, such as
allauth's) inside the transaction of the change that causes the e-mail: the row
commits or rolls back with it. After commit the sending task is enqueued
(outbox.tasks.email_send_task); if the broker is down that is logged, never raised,
and the sweep (outbox.tasks.email_sweep_task) sends the e-mail once it is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from outbox import delivery, tasks
from outbox.models import OutboxEmail


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
    now = now or timezone.now()
    email = OutboxEmail.objects.create(
        kind=kind[:100],
        to=list(to),
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        subject=" ".join(subject.split()),  # a header: no line breaks
        body=body,
        html=html,
        headers=headers or {},
        created_at=now,
        next_attempt_at=now + delivery.SWEEP_AFTER,
    )
    transaction.on_commit(partial(tasks.email_dispatch, email.pk))
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
            next_attempt_at=now + delivery.SWEEP_AFTER,
        )
        for email_id in ids:
            transaction.on_commit(partial(tasks.email_dispatch, email_id))
    return len(ids)
