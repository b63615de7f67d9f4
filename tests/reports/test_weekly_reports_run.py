from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from accounts.models import Membership
from outbox.models import OutboxEmail
from reports import tasks
from reports.models import WeeklyReport
from reports.services import weekly_reports_run
from tests import factories as people
from tests.reports import factories
from tests.reports.conftest import MONDAY, WEEK


@pytest.fixture
def company_with_usage(company, alice, bob, dave):
    subscription = factories.subscription_create(company, licenses=50)
    proxy = factories.proxy_create(factories.primary_key(subscription), server_name="hq")
    factories.usage_week(proxy, week_start=WEEK, peaks=[20, 60])
    return company


def test_the_weekly_task_stores_one_report_and_emails_the_administrators(
    company_with_usage, alice, monday, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.weekly_reports_task()

    report = WeeklyReport.objects.get()
    assert (report.account, report.week_start) == (company_with_usage, WEEK)
    assert (report.licenses, report.peak, report.over_limit) == (50, 60, True)
    assert report.email_queued_at == MONDAY
    [email] = mail.outbox
    # Active administrators only: not bob (Regular Member), not dave (blocked).
    assert email.to == [alice.email]
    assert "Weekly usage report for My Company, Inc." in email.subject
    assert "OVER THE LICENSE LIMIT" in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert "hq" in html and f"/usage-reports/{report.id}/" in html


def test_running_it_twice_stores_one_report_and_sends_one_email(
    company_with_usage, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            weekly_reports_run(now=MONDAY)

    assert WeeklyReport.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_email_goes_out_only_after_commit(
    company_with_usage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        weekly_reports_run(now=MONDAY)
    assert len(mail.outbox) == 0
    assert len(callbacks) == 1


def test_personal_accounts_get_no_report(
    alice, company, monday, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        weekly_reports_run(now=MONDAY)
    assert list(WeeklyReport.objects.values_list("account", flat=True)) == [company.id]


def test_it_walks_accounts_in_batches(db, django_capture_on_commit_callbacks):
    companies = [people.business_account_create(f"Company {i}") for i in range(5)]
    seen: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        built = weekly_reports_run(now=MONDAY, batch_size=2, on_batch=seen.append)
    assert built == 5
    assert seen == [2, 2, 1]
    assert set(WeeklyReport.objects.values_list("account", flat=True)) == {c.id for c in companies}


def test_queries_do_not_grow_with_proxies_or_accounts(
    db, django_assert_num_queries, django_capture_on_commit_callbacks
):
    def company_with(proxies: int):
        company = people.business_account_create()
        admin = people.user_create(f"admin-{company.pk}@example.com", "Ad", "Min")
        people.membership_create(admin, company, role=Membership.Role.ADMIN)
        subscription = factories.subscription_create(company, licenses=1000)
        for _ in range(proxies):
            key = factories.sublicense_create(subscription, quota=5)
            factories.usage_week(factories.proxy_create(key), week_start=WEEK, peaks=[1, 2])
        return company

    company_with(1)
    # One batch: accounts, already reported, subscriptions, keys, proxies, peaks,
    # savepoint, insert, unsent reports (locked), their administrators, one insert of
    # all their e-mails into the outbox, mark them e-mailed, release, then the empty
    # next batch.
    with django_assert_num_queries(14), django_capture_on_commit_callbacks(execute=False):
        weekly_reports_run(now=MONDAY)
    WeeklyReport.objects.all().delete()
    for _ in range(3):
        company_with(15)
    with django_assert_num_queries(14), django_capture_on_commit_callbacks(execute=False):
        weekly_reports_run(now=MONDAY)
    assert WeeklyReport.objects.count() == 4
    # The first run's e-mail, then one per account of the second.
    assert OutboxEmail.objects.filter(kind="reports.weekly_report").count() == 1 + 4


def test_a_report_stored_but_not_emailed_is_emailed_by_the_next_run(
    company_with_usage, alice, django_capture_on_commit_callbacks
):
    # An earlier run stored the report and stopped before it wrote the e-mail.
    WeeklyReport.objects.create(account=company_with_usage, week_start=WEEK, data={})

    with django_capture_on_commit_callbacks(execute=True):
        weekly_reports_run(now=MONDAY)

    assert len(mail.outbox) == 1
    assert WeeklyReport.objects.get().email_queued_at is not None


def test_the_email_is_written_with_the_report_and_a_second_run_writes_none(
    company_with_usage, alice, django_capture_on_commit_callbacks
):
    # The first run's e-mail task is lost (the broker was down): the e-mail is in the
    # outbox, for the sweep; a second run does not write it again.
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=False):
            weekly_reports_run(now=MONDAY)
    [email] = OutboxEmail.objects.all()
    assert (email.kind, email.status, email.to) == (
        "reports.weekly_report",
        "queued",
        [alice.email],
    )
    assert mail.outbox == []


def test_an_account_without_administrators_is_reported_but_not_emailed(
    company, bob, django_capture_on_commit_callbacks
):
    Membership.objects.filter(account=company).update(role=Membership.Role.MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        weekly_reports_run(now=MONDAY)
    assert WeeklyReport.objects.filter(account=company, email_queued_at__isnull=False).exists()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_store_one_report_and_send_one_email(company_with_usage):
    # Two real database connections run the job at the same moment, as two workers would.
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            weekly_reports_run(now=MONDAY)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert WeeklyReport.objects.count() == 1
    assert len(mail.outbox) == 1
