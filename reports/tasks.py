"""Celery tasks: take ids, call services, own their retries.

Every task is safe to run twice: the services claim their work (reports/services.py).
An SMTP or network failure is retried with exponential backoff, not lost: the
sender gives its claim back before the exception reaches Celery's autoretry.
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from reports import services

EMAIL_RETRY = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 30,  # 30 s, 60 s, 120 s ... capped below
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 12,  # about half a day of trying before an e-mail is given up
}


@shared_task(**EMAIL_RETRY)
def send_weekly_report_email(report_id: int) -> bool:
    return services.weekly_report_email_send(report_id=report_id, now=timezone.now())


@shared_task(**EMAIL_RETRY)
def send_expiry_notice_email(notice_id: int) -> bool:
    return services.expiry_notice_email_send(notice_id=notice_id, now=timezone.now())


@shared_task
def weekly_reports_task() -> int:
    """Beat, Mondays 06:00 UTC: last week's report of every business account."""
    return services.weekly_reports_run(now=timezone.now())


@shared_task
def expiry_notices_task() -> int:
    """Beat, daily 07:00 UTC: 30/7/1-day notices before subscriptions and sublicenses end."""
    return services.expiry_notices_run(now=timezone.now())
