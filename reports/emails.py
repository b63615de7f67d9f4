"""One function per e-mail: subject, plain-text part and HTML part from templates.

Each renders its e-mail as a draft; the services write the drafts to the outbox in the
transaction that stores the report or notice (outbox/services.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats

from outbox.services import EmailDraft

if TYPE_CHECKING:
    from reports.models import ExpiryNotice, WeeklyReport


def _one_line(text: str) -> str:
    # Names go into the subject header: no line breaks there.
    return " ".join(str(text).split())


def _draft(*, subject: str, template: str, context: dict[str, Any], to: list[str]) -> EmailDraft:
    context = {"site_url": settings.SITE_URL, "site_name": settings.SITE_NAME, **context}
    return EmailDraft(
        kind=f"reports.{template}",
        to=to,
        subject=f"[{settings.SITE_NAME}] {_one_line(subject)}",
        body=render_to_string(f"reports/email/{template}.txt", context),
        html=render_to_string(f"reports/email/{template}.html", context),
    )


def weekly_report_email(*, report: WeeklyReport, to: list[str]) -> EmailDraft:
    """The weekly usage report, rendered for the outbox (the run writes a batch at once)."""
    data = report.dated_data
    week = formats.date_format(report.week_start, "SHORT_DATE_FORMAT")
    return _draft(
        subject=f"Weekly usage report for {report.account.name}, week of {week}",
        template="weekly_report",
        context={
            "report": report,
            "account": report.account,
            "data": data,
            "over_limit_keys": [
                key
                for subscription in data.get("subscriptions", [])
                for key in subscription["keys"]
                if key["over_limit"]
            ],
            "url": settings.SITE_URL + reverse("usage_report_detail", args=[report.pk]),
        },
        to=to,
    )


def expiry_notice_email(
    *, notice: ExpiryNotice, name: str, subscription_name: str, days_left: int, to: list[str]
) -> EmailDraft:
    what = "subscription" if notice.kind == notice.Kind.SUBSCRIPTION else "sublicense"
    when = "today" if days_left <= 0 else ("in 1 day" if days_left == 1 else f"in {days_left} days")
    return _draft(
        subject=f"Your {what} {name} ends {when}",
        template="expiry_notice",
        context={
            "notice": notice,
            "what": what,
            "name": name,
            "subscription_name": subscription_name,
            "when": when,
            "days_left": days_left,
            "url": settings.SITE_URL + reverse("dashboard"),
        },
        to=to,
    )
