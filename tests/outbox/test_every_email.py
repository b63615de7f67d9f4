"""Every e-mail the portal sends goes through the outbox: written in the transaction of
the change that causes it, sent by the outbox's task, once (issue 12, item 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership
from outbox import tasks
from outbox.delivery import sweep_after
from outbox.models import OutboxEmail
from reports import tasks as report_tasks
from tests.accounts.test_signup import VALID
from tests.reports import factories


def _invite(alice_client, **_):
    alice_client.post(reverse("invite_users"), {"emails": "new@example.com", "action": "send"})


def _member_action(name: str, who: str):
    def act(alice_client, company, **people_):
        membership = Membership.objects.get(user=people_[who], account=company)
        alice_client.post(reverse(name, args=[membership.pk]))

    return act


def _signup(**_):
    Client().post(reverse("account_signup"), VALID)


def _signup_taken(**_):
    Client().post(reverse("account_signup"), {**VALID, "email": "bob@example.com"})


def _password_reset(**_):
    Client().post(reverse("account_reset_password"), {"email": "bob@example.com"})


def _weekly_report(company, **_):
    subscription = factories.subscription_create(company, licenses=5)
    proxy = factories.proxy_create(factories.primary_key(subscription), server_name="hq")
    week = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    factories.usage_week(proxy, week_start=week, peaks=[3])
    report_tasks.weekly_reports_task()


def _expiry_notice(company, **_):
    factories.subscription_create(company, ends_on=timezone.localdate() + timedelta(days=7))
    report_tasks.expiry_notices_task()


EMAILS = {
    "accounts.invitation": (_invite, "new@example.com"),
    "accounts.membership_blocked": (_member_action("membership_block", "bob"), "bob@example.com"),
    "accounts.membership_unblocked": (
        _member_action("membership_unblock", "dave"),
        "dave@example.com",
    ),
    "accounts.membership_removed": (
        _member_action("membership_delete", "bob"),
        "bob@example.com",
    ),
    "allauth.email_confirmation_signup": (_signup, "jane@example.com"),
    "allauth.account_already_exists": (_signup_taken, "bob@example.com"),
    "allauth.password_reset_key": (_password_reset, "bob@example.com"),
    "reports.weekly_report": (_weekly_report, "alice@example.com"),
    "reports.expiry_notice": (_expiry_notice, "alice@example.com"),
}


@pytest.mark.parametrize("kind", list(EMAILS))
def test_each_email_is_written_to_the_outbox_and_sent_once(
    kind,
    alice_client,
    alice,
    bob,
    dave,
    company,
    broker_down,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    action, recipient = EMAILS[kind]
    with django_capture_on_commit_callbacks(execute=True):
        action(alice_client=alice_client, company=company, alice=alice, bob=bob, dave=dave)

    [email] = OutboxEmail.objects.all()
    assert (email.kind, email.to, email.status) == (kind, [recipient], "queued")
    assert mailoutbox == []

    broker_down.back()
    for minutes in (3, 6):
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
            tasks.email_sweep_task.delay()

    [message] = mailoutbox
    assert message.to == [recipient] and message.subject == email.subject
    assert OutboxEmail.objects.get().status == "sent"


def test_a_revoked_invitation_whose_email_waits_is_never_sent(
    alice_client, alice, company, broker_down, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(alice_client)
        invitation = Invitation.objects.get()
        alice_client.post(reverse("invitation_revoke", args=[invitation.pk]))

    broker_down.back()
    with time_machine.travel(timezone.now() + sweep_after() * 2):
        assert tasks.email_sweep_task.delay().get() == 0
    assert mailoutbox == []
    assert OutboxEmail.objects.get().status == "canceled"


def test_resending_a_waiting_invitation_sends_only_the_new_link(
    alice_client, alice, company, broker_down, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(alice_client)
        invitation = Invitation.objects.get()
        alice_client.post(reverse("invitation_resend", args=[invitation.pk]))

    broker_down.back()
    with time_machine.travel(timezone.now() + sweep_after() * 2):
        assert tasks.email_sweep_task.delay().get() == 1
    [message] = mailoutbox
    assert sorted(OutboxEmail.objects.values_list("status", flat=True)) == ["canceled", "sent"]
    invitation.refresh_from_db()
    assert invitation.outbox_email.status == "sent"
    assert message.subject.startswith("[My Account] Join My Company, Inc.")


def test_a_change_that_rolls_back_writes_no_email(alice, bob, company, mailoutbox):
    membership = Membership.objects.get(user=bob, account=company)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.membership_block(membership=membership, actor=alice)
        raise RuntimeError("boom")
    assert not OutboxEmail.objects.exists()
