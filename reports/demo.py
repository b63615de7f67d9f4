"""Past weekly usage reports of the demo company, so the Usage Reports page has weeks to show.

Idempotent: `make run` calls it on every start; each week's report is rebuilt from the
demo usage. They count as e-mailed already, so the weekly job never mails them.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from reports.models import WeeklyReport
from reports.services import week_start_for, weekly_report_build

WEEKS = 6


def seed(context: dict) -> None:
    company = context.get("company")
    if company is None:
        return
    now = timezone.now()
    last_week = week_start_for(now=now)
    for weeks_ago in range(WEEKS):
        week_start = last_week - timedelta(weeks=weeks_ago)
        data = weekly_report_build(account=company, week_start=week_start)
        totals = data["totals"]
        WeeklyReport.objects.update_or_create(
            account=company,
            week_start=week_start,
            defaults={
                "data": data,
                "licenses": totals["licenses"],
                "peak": totals["peak"],
                "over_limit": totals["over_limit"],
                "email_queued_at": now,
            },
            create_defaults={
                "data": data,
                "licenses": totals["licenses"],
                "peak": totals["peak"],
                "over_limit": totals["over_limit"],
                "created_at": now,
                "email_queued_at": now,
            },
        )
    context["weekly_reports"] = list(WeeklyReport.objects.filter(account=company)[:WEEKS])
