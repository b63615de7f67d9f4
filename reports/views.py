"""The Usage Reports page: past weekly reports of the current business account.

Every member of the business account may read them (Regular Members included);
a report of an account the user is not an active member of is a 404.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from accounts.current import account_switch
from accounts.permissions import account_wide, business_account_required
from proxies.charts import weekly_usage_chart
from reports.models import WeeklyReport

PAGE_SIZE = 12
CHART_WEEKS = 12
SUMMARY_FIELDS = ("id", "week_start", "licenses", "peak", "over_limit", "created_at")


@business_account_required
@account_wide
def usage_reports(request: HttpRequest) -> HttpResponse:
    reports = WeeklyReport.objects.filter(account=request.account).only(*SUMMARY_FIELDS)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    chart = weekly_usage_chart(
        {
            "week_start": r.week_start,
            "licenses": r.licenses,
            "peak": r.peak,
            "over_limit": r.over_limit,
        }
        for r in reversed(rows)
    )
    return render(
        request, "reports/usage_reports.html", {"page": page, "reports": rows, "chart": chart}
    )


@business_account_required
@account_wide
def usage_report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    member_of = [m.account_id for m in request.memberships if m.account.is_business]
    report = WeeklyReport.objects.filter(pk=report_id, account_id__in=member_of).first()
    if report is None:
        raise Http404(gettext("No such report."))
    if report.account_id != request.account.pk:
        # A link from the e-mail of another of the user's business accounts: work in that
        # account from now on, as if it had been picked in the account selector.
        account_switch(request, account_id=report.account_id)
        return redirect("usage_report_detail", report_id=report.pk)
    report.account = request.account  # already loaded by the middleware
    history = (
        WeeklyReport.objects.filter(account=request.account, week_start__lte=report.week_start)
        .order_by("-week_start")
        .values("week_start", "licenses", "peak", "over_limit")[:CHART_WEEKS]
    )
    chart = weekly_usage_chart(reversed(list(history)))
    return render(
        request,
        "reports/usage_report_detail.html",
        {"report": report, "data": report.dated_data, "chart": chart},
    )
