"""Delivering the outbox: once, retried with exponential backoff, failures kept for staff."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core import mail

from outbox import delivery, tasks
from outbox.models import OutboxEmail
from outbox.services import email_cancel, email_queue
from tests.outbox.conftest import NOW


def test_a_queued_email_is_sent_once_with_its_text_and_html_and_its_body_is_erased(queued):
    assert tasks.email_send_task.delay(queued.pk).get() == "sent"
    [message] = mail.outbox
    assert message.to == ["someone@example.com"] and message.subject == "Hello"
    assert "https://portal.example.net/secret/" in message.body
    assert message.alternatives[0] == ("<p>Your link</p>", "text/html")
    queued.refresh_from_db()
    assert (queued.status, queued.sent_at, queued.attempts) == ("sent", NOW, 1)
    # The link was a credential: the outbox keeps who, what and when, not the body.
    assert (queued.body, queued.html) == ("", "")
    assert tasks.email_send_task.delay(queued.pk).get() == "skipped"
    assert len(mail.outbox) == 1


def test_a_failed_smtp_send_is_retried_and_then_sent(flaky, queued):
    # throw=False: a retry is not an error; apply() then runs the retry in-process.
    result = tasks.email_send_task.apply(args=[queued.pk], throw=False)

    assert result.successful()
    assert flaky.attempts == 2  # the first send failed, the retry went through
    assert len(mail.outbox) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("sent", 2)
    assert queued.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"


def test_the_pauses_between_attempts_double_up_to_an_hour():
    pauses = [delivery.email_backoff(n).total_seconds() for n in range(1, 10)]
    assert pauses == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_failed_send_records_the_error_and_when_to_try_again(flaky, queued):
    result = delivery.email_deliver(email_id=queued.pk, now=NOW)

    assert result == delivery.Delivery(status="queued", retry_in=timedelta(seconds=30))
    queued.refresh_from_db()
    assert queued.status == "queued" and queued.claimed_at is None  # the claim is given back
    assert queued.last_error.startswith("SMTPServerDisconnected")
    assert queued.next_attempt_at == NOW + timedelta(seconds=30) + delivery.sweep_after()
    assert mail.outbox == []


def test_a_send_that_keeps_failing_ends_failed_with_its_error(flaky, queued):
    flaky.failures = 100
    for attempt in range(delivery.MAX_ATTEMPTS):
        result = delivery.email_deliver(email_id=queued.pk, now=NOW + timedelta(hours=attempt))
    assert result == delivery.Delivery(status="failed", retry_in=None)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert "Connection unexpectedly closed" in queued.last_error
    # Failed for good: neither a task nor the sweep sends it again by itself.
    assert delivery.email_deliver(email_id=queued.pk, now=NOW + timedelta(days=1)) is None
    assert delivery.emails_due(now=NOW + timedelta(days=1)) == []
    assert queued.body  # kept, so that staff can send it again


def test_a_second_sender_backs_off_while_the_first_holds_the_claim(queued):
    # Worker A claimed the e-mail and is sending it right now.
    OutboxEmail.objects.filter(pk=queued.pk).update(claimed_at=NOW)

    assert delivery.email_deliver(email_id=queued.pk, now=NOW + timedelta(minutes=1)) is None
    assert mail.outbox == []
    # Worker A died: once its lease has run out, the e-mail is sent after all.
    later = NOW + delivery.LEASE + timedelta(seconds=1)
    assert delivery.email_deliver(email_id=queued.pk, now=later).status == "sent"
    assert len(mail.outbox) == 1


def test_a_canceled_email_is_never_sent(queued):
    assert email_cancel(email=queued) is True
    assert delivery.email_deliver(email_id=queued.pk, now=NOW) is None
    assert delivery.emails_due(now=NOW + timedelta(days=1)) == []
    assert mail.outbox == []
    queued.refresh_from_db()
    assert (queued.status, queued.body) == ("canceled", "")


def test_the_sweep_leaves_a_new_email_to_its_own_task_then_sends_it_once(queued, frozen):
    assert tasks.email_sweep_task.delay().get() == 0  # just written: its task is on the way
    frozen.shift(delivery.sweep_after())
    assert tasks.email_sweep_task.delay().get() == 1
    assert tasks.email_sweep_task.delay().get() == 0
    frozen.shift(delivery.sweep_after() * 2)
    assert tasks.email_sweep_task.delay().get() == 0  # sent: nothing left
    assert len(mail.outbox) == 1


def test_two_sweeps_never_hand_out_the_same_email(queued):
    later = NOW + delivery.sweep_after()
    assert delivery.emails_due(now=later) == [queued.pk]
    assert delivery.emails_due(now=later) == []  # handed out: its time moved on
    assert delivery.emails_due(now=later + delivery.sweep_after()) == [queued.pk]


def test_with_the_broker_down_enqueueing_logs_a_warning_and_raises_nothing(
    queued, broker_down, caplog
):
    with caplog.at_level(logging.WARNING, logger="outbox.tasks"):
        assert tasks.email_dispatch(queued.pk) is False
    assert "Could not enqueue e-mail" in caplog.text
    queued.refresh_from_db()
    assert queued.status == "queued"


@pytest.mark.parametrize("status", ["sent", "canceled"])
def test_only_queued_emails_are_handed_out(queued, status):
    OutboxEmail.objects.filter(pk=queued.pk).update(status=status)
    assert delivery.emails_due(now=NOW + timedelta(days=1)) == []


def test_the_sweep_waits_as_long_as_outbox_sweep_after_says(settings, db, frozen):
    settings.OUTBOX_SWEEP_AFTER = 5
    email = email_queue(kind="tests.hello", to=["x@example.com"], subject="Hi", body="b")
    assert delivery.emails_due(now=NOW + timedelta(seconds=4)) == []
    assert delivery.emails_due(now=NOW + timedelta(seconds=5)) == [email.pk]
