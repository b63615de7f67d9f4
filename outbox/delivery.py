"""Delivering the outbox: each e-mail is sent once, retried with exponential backoff.

- A sender first claims the row with a conditional UPDATE (status queued, no live
  lease): of any number of workers given the same e-mail, exactly one sends it.
  The claim is a lease (LEASE), so a worker that died mid-send does not hold the
  e-mail for ever; EMAIL_TIMEOUT keeps one send well inside it.
- A failed send records the error, gives the claim back and says when to try again
  (email_backoff); after MAX_ATTEMPTS the e-mail is marked failed, for staff to see
  in Django admin and send again from there.
- The sweep (emails_due) finds what nothing has sent by its `next_attempt_at`: an
  e-mail that could not be enqueued because the broker was down, or a retry that
  could not be scheduled. It moves their `next_attempt_at` on under a row lock
  (SKIP LOCKED), so two sweeps never hand out the same e-mail.

Once, even when the database drops (issue 24, item 6). Between the SMTP server's "250
accepted" and the row saying "sent" there is a window: a database connection that dies
there (pg_terminate_backend, a failover, a pooler restart) left the row claimed, and
the e-mail went out again when the lease ran out, ten minutes later. Two things close it:

- what the SMTP server answered is recorded on a new connection when the old one died,
  tried again for RECORD_FOR (the database is usually back at once: only that
  connection was lost). Only a database that stays away longer than that still leaves
  a row whose send may have completed, and the e-mail then goes out again after the
  lease: at least once, never lost. (Not sending it again would lose the e-mails of a
  worker killed mid-send, which nothing can tell apart from these.)
- every e-mail carries a Message-ID of its own row (message_id()), the same on every
  attempt, so that such a second copy is the same message to the receiving side, which
  can drop it (Gmail and other mailbox providers do).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q

from outbox.models import OutboxEmail

logger = logging.getLogger(__name__)
T = TypeVar("T")

# A claimed e-mail stays claimed this long; a worker that dies mid-send gives it up then.
LEASE = timedelta(minutes=10)


def sweep_after() -> timedelta:
    """How long after it was written (or last handed out) the sweep leaves an e-mail to
    the task enqueued for it before handing it out again (OUTBOX_SWEEP_AFTER)."""
    return timedelta(seconds=settings.OUTBOX_SWEEP_AFTER)


SWEEP_BATCH = 1000
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 12  # 30 s, 1 min, 2 min ... 1 h: about half a day of trying


def backoff_pause(
    attempts: int, *, first: timedelta, most: timedelta, jitter: bool = False
) -> timedelta:
    """The pause after the `attempts`-th failure of anything the portal retries (an
    e-mail here, a webhook delivery): `first`, doubling with each failure, at most
    `most`. With `jitter`, a random point between half and all of it, so that many
    retries of one cause (a receiver coming back) do not all fall at once."""
    pause = min(first * 2 ** max(attempts - 1, 0), most)
    return pause * random.uniform(0.5, 1.0) if jitter else pause


def email_backoff(attempts: int) -> timedelta:
    """The pause after the `attempts`-th failed send: 30 s, doubling, at most an hour."""
    return backoff_pause(attempts, first=BACKOFF_FIRST, most=BACKOFF_MAX)


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt did; `retry_in` is set when it should be tried again."""

    status: str
    retry_in: timedelta | None = None


# How long the outcome of a send is tried again on a new connection (pauses of 0.1 s,
# doubling): far inside LEASE, so no other worker takes the e-mail meanwhile.
RECORD_FOR = timedelta(seconds=15)


def _recorded(write: Callable[[], T]) -> T:
    """Run `write` (one UPDATE, its own transaction), on a new database connection if the
    one it had dropped, until RECORD_FOR has passed."""
    deadline = time.monotonic() + RECORD_FOR.total_seconds()
    pause = 0.1
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError) as error:
            if connection.in_atomic_block or time.monotonic() + pause > deadline:
                raise
            logger.warning("Recording an e-mail's outcome failed (%s); trying again", error)
            connection.close()  # the next query opens a new connection
            time.sleep(pause)
            pause *= 2


def _claim(*, email_id: int, now: datetime) -> bool:
    """Claim one queued e-mail: exactly one of any number of parallel senders wins."""
    return bool(
        OutboxEmail.objects.filter(pk=email_id, status=OutboxEmail.Status.QUEUED)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - LEASE))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )


def email_deliver(*, email_id: int, now: datetime) -> Delivery | None:
    """Send one outbox e-mail if it is still to be sent and nobody else is sending it.

    None when there was nothing to do (sent, canceled, failed for good, or claimed by
    another worker right now). Never raises for a failed send: the error is recorded
    on the row and the answer says when to try again.
    """
    if not _claim(email_id=email_id, now=now):
        return None
    email = OutboxEmail.objects.get(pk=email_id)
    try:
        email.message().send()
    except Exception as error:  # any failure is recorded, retried, then shown to staff
        retry = email.attempts < MAX_ATTEMPTS
        pause = email_backoff(email.attempts)
        status = OutboxEmail.Status.QUEUED if retry else OutboxEmail.Status.FAILED
        last_error = f"{type(error).__name__}: {error}"[:2000]
        _recorded(
            lambda: OutboxEmail.objects.filter(pk=email_id, claimed_at=now).update(
                claimed_at=None,
                status=status,
                last_error=last_error,
                # The task's own retry comes first; the sweep is the safety net behind it.
                next_attempt_at=now + pause + sweep_after(),
            )
        )
        logger.warning(
            "E-mail %s (%s) not sent, attempt %s: %s", email_id, email.kind, email.attempts, error
        )
        return Delivery(status=status, retry_in=pause if retry else None)
    # Sent: whoever holds the claim now, this is the truth. The links in the body are
    # credentials, so the body goes. Recorded even if the connection dropped meanwhile.
    _recorded(
        lambda: OutboxEmail.objects.filter(pk=email_id).update(
            status=OutboxEmail.Status.SENT, sent_at=now, body="", html="", claimed_at=now
        )
    )
    return Delivery(status=OutboxEmail.Status.SENT)


def emails_due(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Hand out the queued e-mails that nothing has sent by their time.

    Their `next_attempt_at` moves on by sweep_after() under the row lock, so a second
    sweep, here or on another worker, does not hand them out again meanwhile.
    """
    with transaction.atomic():
        ids = list(
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxEmail.Status.QUEUED, next_attempt_at__lte=now)
            .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - LEASE))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        OutboxEmail.objects.filter(pk__in=ids).update(next_attempt_at=now + sweep_after())
    return ids
