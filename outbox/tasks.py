"""Celery tasks of the outbox: send one e-mail (with retries), and the sweep (beat)."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.utils import timezone

from outbox import delivery

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None)
def email_send_task(self, email_id: int) -> str:
    """Send one outbox e-mail; a failed send is retried with exponential backoff.

    The number of attempts is counted on the row (delivery.MAX_ATTEMPTS), not here: a
    retry that cannot be scheduled (broker down) is picked up by the sweep instead.
    """
    result = delivery.email_deliver(email_id=email_id, now=timezone.now())
    if result is None:
        return "skipped"
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in.total_seconds())
    return result.status


# After a failed publish, this process does not try the broker again for a moment: a
# request that writes 50 invitations must not wait 50 times for a broker that is gone.
BROKER_PAUSE_SECONDS = 10.0
_broker_paused_until = 0.0


def task_enqueue(task, *args, what: str) -> bool:
    """Hand `task(*args)` to the broker; with the broker down, log and carry on (False).

    For work that waits in the database until it is done (an outbox e-mail, a webhook
    delivery): its sweep hands it out again once the broker is back, so a broker outage
    never turns into an error for the request that caused the work."""
    global _broker_paused_until
    if not task.app.conf.task_always_eager and time.monotonic() < _broker_paused_until:
        return False
    try:
        task.delay(*args)
    except Exception:  # the broker's client raises many types; none may reach a request
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "Could not enqueue %s (broker unreachable?); its sweep will hand it out",
            what,
            exc_info=True,
        )
        return False
    return True


def email_dispatch(email_id: int) -> bool:
    """Enqueue the sending of one e-mail. With the broker down, log and carry on: the
    e-mail is in the outbox and the sweep sends it once the broker is back."""
    return task_enqueue(email_send_task, email_id, what=f"e-mail {email_id}")


@shared_task
def email_sweep_task() -> int:
    """Beat, every minute: hand out the e-mails that nothing has sent by their time."""
    handed_out = 0
    for email_id in delivery.emails_due(now=timezone.now()):
        if not email_dispatch(email_id):
            break  # the broker is gone again: the rest wait for the next sweep
        handed_out += 1
    return handed_out
