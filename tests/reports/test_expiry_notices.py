from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from outbox.models import OutboxEmail
from reports import tasks
from reports.models import ExpiryNotice
from reports.services import expiry_notices_run
from subscriptions.models import LicenseKey, Subscription, license_key_mask
from tests.reports import factories

ENDS = date(2025, 6, 30)


def _day(days_left: int) -> datetime:
    """07:00 UTC (the beat's hour) `days_left` days before ENDS."""
    return datetime.combine(ENDS - timedelta(days=days_left), datetime.min.time(), UTC).replace(
        hour=7
    )


@pytest.fixture
def ending(company, alice, bob, dave):
    return factories.subscription_create(company, ends_on=ENDS, name="Fleet")


def _run_task_on(days_left: int, capture) -> None:
    with time_machine.travel(_day(days_left), tick=False), capture(execute=True):
        tasks.expiry_notices_task()


def test_administrators_get_one_email_thirty_seven_and_one_day_before(
    ending, alice, django_capture_on_commit_callbacks
):
    sent_on: list[int] = []
    for days_left in range(40, -3, -1):
        before = len(mail.outbox)
        _run_task_on(days_left, django_capture_on_commit_callbacks)
        _run_task_on(days_left, django_capture_on_commit_callbacks)  # a second run that day
        sent_on += [days_left] * (len(mail.outbox) - before)

    assert sent_on == [30, 7, 1]
    assert [m.to for m in mail.outbox] == [[alice.email]] * 3
    assert [m.subject for m in mail.outbox] == [
        "[My Account] Your subscription Fleet ends in 30 days",
        "[My Account] Your subscription Fleet ends in 7 days",
        "[My Account] Your subscription Fleet ends in 1 day",
    ]
    assert "06/30/2025" in mail.outbox[0].body
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    assert set(ExpiryNotice.objects.values_list("days_before", flat=True)) == {30, 7, 1}


def test_a_missed_day_sends_the_notice_now_due_and_not_the_stale_ones(
    ending, django_capture_on_commit_callbacks
):
    # The beat did not run for weeks: the first run is 5 days before the end.
    _run_task_on(5, django_capture_on_commit_callbacks)
    _run_task_on(4, django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox] == [
        "[My Account] Your subscription Fleet ends in 5 days"
    ]
    assert list(ExpiryNotice.objects.values_list("days_before", flat=True)) == [7]


def test_a_sublicense_with_its_own_end_date_gets_its_own_notices(
    company, alice, django_capture_on_commit_callbacks
):
    subscription = factories.subscription_create(company, ends_on=date(2026, 12, 31))
    factories.sublicense_create(subscription, name="Lab", expires_on=ENDS)
    factories.sublicense_create(subscription, name="Renews with subscription")
    deleted = factories.sublicense_create(subscription, name="Deleted", expires_on=ENDS)
    LicenseKey.objects.filter(pk=deleted.pk).update(deleted_at=_day(40))

    for days_left in (30, 7, 1):
        _run_task_on(days_left, django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox] == [
        "[My Account] Your sublicense Lab ends in 30 days",
        "[My Account] Your sublicense Lab ends in 7 days",
        "[My Account] Your sublicense Lab ends in 1 day",
    ]
    assert "licenses go back to the subscription" in " ".join(mail.outbox[0].body.split())


def test_a_notice_left_unmailed_for_a_since_renewed_subscription_is_closed_without_email(
    ending, django_capture_on_commit_callbacks
):
    # An earlier run stored the 7-day notice and stopped before it wrote the e-mail;
    # the subscription was renewed since.
    ExpiryNotice.objects.create(
        kind=ExpiryNotice.Kind.SUBSCRIPTION,
        object_id=ending.pk,
        account=ending.account,
        ends_on=ENDS,
        days_before=7,
    )
    Subscription.objects.filter(pk=ending.pk).update(ends_on=date(2026, 6, 30))

    with django_capture_on_commit_callbacks(execute=True):
        assert expiry_notices_run(now=_day(6)) == 0

    assert mail.outbox == []
    assert ExpiryNotice.objects.get().email_queued_at is not None  # closed, not retried for ever


def test_the_email_is_written_with_the_notice_and_a_second_run_writes_none(
    ending, alice, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=False):
            expiry_notices_run(now=_day(7))
    [email] = OutboxEmail.objects.all()
    assert (email.kind, email.status, email.to) == (
        "reports.expiry_notice",
        "queued",
        [alice.email],
    )
    assert mail.outbox == []


def test_unregistered_subscriptions_and_other_accounts_are_not_mixed_up(
    company, alice, other_company, charlie, django_capture_on_commit_callbacks
):
    factories.subscription_create(None, ends_on=ENDS)
    factories.subscription_create(other_company, ends_on=ENDS, name="Theirs")

    _run_task_on(30, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.to == [charlie.email]
    assert "Theirs" in email.subject


def test_an_unnamed_sublicense_is_named_by_its_masked_key_in_the_email(
    company, alice, django_capture_on_commit_callbacks
):
    # An e-mail leaves the portal: a key in it is masked (license_key_shown, no viewer).
    subscription = factories.subscription_create(company, ends_on=date(2026, 12, 31))
    key = factories.sublicense_create(subscription, expires_on=ENDS)
    LicenseKey.objects.filter(pk=key.pk).update(name="")

    _run_task_on(30, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert license_key_mask(key.key) in email.subject
    assert key.key not in email.subject + email.body + email.alternatives[0][0]
