"""One function per e-mail: subject, plain-text part and HTML part from templates, one
draft per language among the recipients (accounts/language.py).

Each renders its e-mail as a draft; the services write the drafts to the outbox in the
transaction that stores the report or notice (outbox/services.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from accounts.emails import drafts_by_locale
from accounts.language import Recipient
from outbox.services import EmailDraft

if TYPE_CHECKING:
    from reports.models import ExpiryNotice, WeeklyReport


def _drafts(
    *,
    subject: Callable[[], str],
    template: str,
    context: dict[str, Any],
    to: Sequence[Recipient],
) -> list[EmailDraft]:
    return drafts_by_locale(
        kind=f"reports.{template}",
        to=to,
        subject=subject,
        template=f"reports/email/{template}",
        context=context,
    )


def weekly_report_emails(*, report: WeeklyReport, to: Sequence[Recipient]) -> list[EmailDraft]:
    """The weekly usage report, rendered for the outbox (the run writes a batch at once)."""
    data = report.dated_data

    def subject() -> str:
        week = formats.date_format(report.week_start, "SHORT_DATE_FORMAT")
        return gettext("Weekly usage report for %(account)s, week of %(week)s") % {
            "account": report.account.name,
            "week": week,
        }

    return _drafts(
        subject=subject,
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


def expiry_notice_emails(
    *,
    notice: ExpiryNotice,
    name: str,
    subscription_name: str,
    days_left: int,
    to: Sequence[Recipient],
) -> list[EmailDraft]:
    """ "Your subscription (or sublicense) ends in N days", to each administrator."""
    context = {
        "notice": notice,
        "is_subscription": notice.kind == notice.Kind.SUBSCRIPTION,
        "name": name,
        "subscription_name": subscription_name,
        "days_left": days_left,
        "url": settings.SITE_URL + reverse("dashboard"),
    }
    # The subject is a text header: the name goes in as it is, not HTML-escaped.
    subject_context = {**context, "name": mark_safe(name)}  # noqa: S308 (not HTML)
    return _drafts(
        subject=lambda: render_to_string(
            "reports/email/_expiry_notice_subject.txt", subject_context
        ),
        template="expiry_notice",
        context=context,
        to=to,
    )
