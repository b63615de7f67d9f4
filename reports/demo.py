"""Past weekly usage reports of the demo company, so the Usage Reports page has weeks to show.

Idempotent: `make run` calls it on every start; each earlier week's report is rebuilt
from the demo usage and counts as e-mailed already. Last week's is left to the weekly
job, handed to the Celery worker at once: the running worker builds it and e-mails it
to the administrators, as beat has it do every Monday.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from outbox.tasks import task_enqueue
from reports import tasks
from reports.models import WeeklyReport
from reports.services import week_start_for, weekly_report_build

WEEKS = 6


def seed(context: dict) -> None:
    company = context.get("company")
    if company is None:
        return
    now = timezone.now()
    last_week = week_start_for(now=now)
    WeeklyReport.objects.filter(account=company, week_start=last_week).delete()
    transaction.on_commit(
        partial(task_enqueue, tasks.weekly_reports_task, what="last week's usage reports")
    )
    for weeks_ago in range(1, WEEKS):
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
