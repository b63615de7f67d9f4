from __future__ import annotations

from django.core import mail

from reports import demo
from reports.models import WeeklyReport
from tests.reports import factories


def test_it_does_nothing_without_a_demo_company(db):
    demo.seed({})
    assert not WeeklyReport.objects.exists()


def test_it_creates_past_weeks_for_the_demo_company_and_can_run_twice(company, alice, monday):
    factories.subscription_create(company, licenses=25)
    context = {"company": company}
    demo.seed(context)
    demo.seed(context)

    assert WeeklyReport.objects.filter(account=company).count() == demo.WEEKS
    assert not WeeklyReport.objects.filter(email_queued_at=None).exists()  # never mailed
    assert {r.licenses for r in context["weekly_reports"]} == {25}
    assert mail.outbox == []
