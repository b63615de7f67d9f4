"""Celery tasks: take ids, call services, own their retries.

Every task is safe to run twice (reports/services.py). Their e-mails are written to
the outbox in the transaction that stores a report or notice; the outbox sends them
(outbox/tasks.py), retrying a failed send with exponential backoff.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reports import services


@shared_task
def weekly_reports_task() -> int:
    """Beat, Mondays 06:00 UTC: last week's report of every business account."""
    return services.weekly_reports_run(now=timezone.now())


@shared_task
def expiry_notices_task() -> int:
    """Beat, daily 07:00 UTC: 30/7/1-day notices before subscriptions and sublicenses end."""
    return services.expiry_notices_run(now=timezone.now())
