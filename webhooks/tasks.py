"""Celery tasks of webhooks: take ids, call services.

One task per delivery, so an endpoint that hangs holds one worker for at most the
POST's timeout and never the deliveries of another endpoint. Retries are not
Celery's: the next attempt's time is a column of the delivery (three days of
backoff would outlive a broker's visibility timeout), and the beat sweep claims
whatever is due. Every task is safe to run twice: a delivery is sent only under its
claim (webhooks/services.py).
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from webhooks import services


@shared_task
def delivery_send_task(delivery_id: int, lease: str) -> bool:
    """POST one claimed delivery; then hand the next event of the same object (which
    waited for this one) to a worker."""
    attempt = services.delivery_attempt(delivery_id=delivery_id, lease=lease, now=timezone.now())
    if attempt is None:
        return False
    following = services.delivery_next_in_line(delivery_id=delivery_id)
    if following is not None:
        services.deliveries_enqueue(ids=[following])
    return attempt.succeeded


@shared_task
def webhooks_sweep_task() -> int:
    """Beat, every few seconds: turn new audit entries into deliveries, and send every
    delivery that is due (new, retried, redelivered, or whose worker died)."""
    now = timezone.now()
    services.events_fan_out(now=now)
    return len(services.deliveries_enqueue(now=now))


@shared_task
def webhooks_conditions_task() -> int:
    """Beat, every few minutes: the events no audit entry records (ending, expired,
    silent, over or within the license limit)."""
    return len(services.conditions_check(now=timezone.now()))


@shared_task
def webhooks_purge_task() -> int:
    """Beat, daily: forget events older than WEBHOOKS_RETENTION_DAYS, their deliveries
    and attempts, once no endpoint waits for them."""
    return services.events_purge(now=timezone.now())
