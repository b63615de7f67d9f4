from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from reports import tasks
from reports.models import WeeklyReport
from reports.services import weekly_report_email_send
from tests.reports.conftest import MONDAY, WEEK


class FlakyBackend(EmailBackend):
    """The SMTP server refuses the first `failures` sends, then accepts."""

    failures = 1
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    FlakyBackend.attempts = 0
    FlakyBackend.failures = 1
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    return FlakyBackend


@pytest.fixture
def report(company, alice):
    return WeeklyReport.objects.create(
        account=company, week_start=WEEK, data={"week_start": "2025-03-03"}
    )


def test_a_failed_smtp_send_is_retried_and_then_sent(flaky, report, monday):
    # throw=False: a retry is not an error; apply() then runs the retry eagerly.
    result = tasks.send_weekly_report_email.apply(args=[report.id], throw=False)

    assert result.successful()
    assert flaky.attempts == 2  # the first send failed, the retry went through
    assert len(mail.outbox) == 1
    report.refresh_from_db()
    assert report.emailed_at == MONDAY
    assert report.email_claimed_at == MONDAY


def test_the_retry_policy_backs_off(settings):
    task = tasks.send_weekly_report_email
    assert smtplib.SMTPException in task.autoretry_for and OSError in task.autoretry_for
    assert task.retry_backoff and task.max_retries >= 5


def test_a_send_that_keeps_failing_leaves_the_report_unsent_for_the_next_try(flaky, report):
    flaky.failures = 100
    with pytest.raises(smtplib.SMTPException):
        weekly_report_email_send(report_id=report.id, now=MONDAY)

    report.refresh_from_db()
    assert report.emailed_at is None
    assert report.email_claimed_at is None  # the claim was given back


def test_a_second_sender_backs_off_while_the_first_holds_the_claim(report):
    # Worker A claimed the e-mail and is sending it right now.
    WeeklyReport.objects.filter(pk=report.pk).update(email_claimed_at=MONDAY)

    assert weekly_report_email_send(report_id=report.id, now=MONDAY + timedelta(minutes=1)) is False
    assert mail.outbox == []
    # Worker A died: once its lease has run out, the e-mail is sent after all.
    assert weekly_report_email_send(report_id=report.id, now=MONDAY + timedelta(hours=1)) is True
    assert len(mail.outbox) == 1


def test_a_sent_report_is_never_sent_again(report):
    assert weekly_report_email_send(report_id=report.id, now=MONDAY) is True
    assert weekly_report_email_send(report_id=report.id, now=MONDAY + timedelta(days=1)) is False
    assert len(mail.outbox) == 1
