"""Celery tasks of webhooks: take ids, call webhooks.delivery.

One task per delivery, on the `webhooks` queue (CELERY_TASK_ROUTES): its own worker
pool, so an endpoint that answers slowly holds one of those workers for at most the
POST's total deadline (WEBHOOKS_TIMEOUT_SECONDS), never a worker that sends e-mail,
and never the deliveries of another endpoint for longer. Retries are not Celery's:
the next attempt's time is a column of the delivery (three days of backoff would
outlive a broker's visibility timeout), and the beat sweep claims whatever is due.
Every task is safe to run twice: a delivery is sent only under its claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from outbox.tasks import task_enqueue
from webhooks import delivery


def deliveries_dispatch(claims: Iterable[tuple[int, str]]) -> None:
    """Hand claimed deliveries to the webhook workers, one task each, once the
    transaction that claimed them commits (at once outside one)."""
    for delivery_id, lease in claims:
        transaction.on_commit(
            partial(
                task_enqueue,
                delivery_send_task,
                delivery_id,
                lease,
                what=f"webhook delivery {delivery_id}",
            )
        )


def deliveries_enqueue(
    *, now: datetime | None = None, ids: Iterable[int] | None = None
) -> list[tuple[int, str]]:
    """Claim the due deliveries (among `ids`, when given) and hand each to a worker."""
    with transaction.atomic():
        claims = delivery.deliveries_claim(now=now, ids=ids)
        deliveries_dispatch(claims)
    return claims


@shared_task
def delivery_send_task(delivery_id: int, lease: str) -> bool:
    """POST one claimed delivery; then hand the next event of the same object (which
    waited for this one) to a worker."""
    attempt = delivery.delivery_attempt(delivery_id=delivery_id, lease=lease, now=timezone.now())
    following = delivery.delivery_next_in_line(delivery_id=delivery_id)
    if following is not None:
        deliveries_enqueue(ids=[following])
    return attempt is not None and attempt.succeeded


@shared_task
def webhooks_sweep_task() -> int:
    """Beat, every few seconds: turn new audit entries into deliveries, and send every
    delivery that is due (new, retried, redelivered, or whose worker died)."""
    now = timezone.now()
    delivery.events_fan_out(now=now)
    return len(deliveries_enqueue(now=now))


@shared_task
def webhooks_conditions_task() -> int:
    """Beat, every few minutes: the events no audit entry records (ending, expired,
    silent, over or within the license limit), sent at once."""
    now = timezone.now()
    created = delivery.conditions_check(now=now)
    return len(deliveries_enqueue(now=now, ids=created))


@shared_task
def webhooks_purge_task() -> int:
    """Beat, daily: forget events older than WEBHOOKS_RETENTION_DAYS, their deliveries
    and attempts, once no endpoint waits for them."""
    return delivery.events_purge(now=timezone.now())
