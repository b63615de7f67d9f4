from __future__ import annotations

from django.core import mail

from reports import demo
from reports.models import WeeklyReport
from tests.reports import factories


def test_it_does_nothing_without_a_demo_company(db):
    demo.seed({})
    assert not WeeklyReport.objects.exists()


def test_it_creates_past_weeks_and_leaves_last_week_to_the_weekly_job(
    company, alice, monday, django_capture_on_commit_callbacks
):
    factories.subscription_create(company, licenses=25)
    context = {"company": company}
    demo.seed(context)
    with django_capture_on_commit_callbacks(execute=True):  # the seed commits
        demo.seed(context)

    reports = WeeklyReport.objects.filter(account=company).order_by("-week_start")
    assert reports.count() == demo.WEEKS
    assert not reports.filter(email_queued_at=None).exists()
    assert {r.licenses for r in reports} == {25}
    # The newest week is the weekly job's, handed to it once the seed committed: it is
    # e-mailed to the administrators; the earlier weeks count as mailed already.
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
