"""Weekly usage reports and expiry notices: what the background jobs made, and what they sent.

Each row is also the claim that keeps a job from doing its work twice: the unique
constraints stop a second report or notice from being stored, and `email_queued_at`
says its e-mail has been written to the outbox (which sends each e-mail once).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils import timezone

from accounts.models import Account


class WeeklyReport(models.Model):
    """The usage of one business account in one week (Monday to Sunday)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="weekly_reports")
    week_start = models.DateField(help_text="The Monday the week starts on.")
    data = models.JSONField(default=dict)
    # Totals, kept as columns so the list page and the chart never read `data`.
    licenses = models.PositiveIntegerField(default=0)
    peak = models.PositiveIntegerField(default=0)
    over_limit = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # When its e-mail was written to the outbox, in the transaction that stored it.
    email_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "week_start"], name="weekly_report_one_per_account_week"
            ),
        ]

    def __str__(self) -> str:
        return f"Usage report of {self.account_id} for the week of {self.week_start}"

    @property
    def vacant(self) -> int:
        return max(self.licenses - self.peak, 0)

    @property
    def dated_data(self) -> dict[str, Any]:
        """`data` with its dates as dates (JSON stores them as ISO text), so pages and
        e-mails format them in the reader's locale like every other date."""
        return _with_dates(self.data)


_DATE_KEYS = frozenset({"week_start", "week_end", "ends_on", "end_date"})
_DATETIME_KEYS = frozenset({"last_report_at"})


def _with_dates(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _with_dates(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_dates(v) for v in value]
    if isinstance(value, str) and key in _DATE_KEYS:
        return date.fromisoformat(value)
    if isinstance(value, str) and key in _DATETIME_KEYS:
        return datetime.fromisoformat(value)
    return value


class ExpiryNotice(models.Model):
    """One "ends in N days" e-mail about a subscription or a sublicense.

    `ends_on` is part of the key: a renewed subscription gets its notices again
    for its new end date.
    """

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", "Subscription"
        LICENSE_KEY = "license_key", "Sublicense"

    THRESHOLDS = (30, 7, 1)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    ends_on = models.DateField()
    days_before = models.PositiveSmallIntegerField(choices=[(d, f"{d} days") for d in THRESHOLDS])
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="expiry_notices")
    created_at = models.DateTimeField(default=timezone.now)
    # When its e-mail was written to the outbox, or it was closed without one (its
    # subscription or key changed since, or the account has no administrator left).
    email_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "ends_on", "days_before"],
                name="expiry_notice_once",
            ),
        ]
        indexes = [models.Index(fields=["email_queued_at", "id"], name="expiry_notice_unsent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_id} ends {self.ends_on} ({self.days_before} days)"
