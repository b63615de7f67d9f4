"""With the broker down the pages and the API still answer; every e-mail is in the outbox
and goes out once, when the broker is back and the sweep runs (issue 12, item 3)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership
from outbox import tasks
from outbox.delivery import sweep_after
from outbox.models import OutboxEmail
from tests.accounts.test_invitations import JOIN
from tests.accounts.test_signup import VALID
from tests.api.conftest import api_client, token_for


def _broker_back_and_sweep(broker_down) -> None:
    """The broker comes back; beat's sweep runs a few minutes later, then again."""
    broker_down.back()
    with time_machine.travel(timezone.now() + sweep_after() + timedelta(seconds=1)):
        tasks.email_sweep_task.delay()
        tasks.email_sweep_task.delay()


def test_an_invitation_sent_with_the_broker_down_waits_then_goes_out_once(
    alice_client, alice, company, broker_down, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("invite_users"), {"emails": "new@example.com", "action": "send"}
        )
    assert response.status_code == 302
    assert mailoutbox == []
    invitation = Invitation.objects.get(account=company, email="new@example.com")
    assert invitation.email_status == "queued" and invitation.sent_at is None
    users_page = alice_client.get(reverse("business_users")).content.decode()
    assert "Waiting to be sent" in users_page

    _broker_back_and_sweep(broker_down)

    [message] = mailoutbox
    assert message.to == ["new@example.com"]
    invitation.refresh_from_db()
    assert invitation.email_status == "sent" and invitation.sent_at is not None
    assert "Waiting to be sent" not in alice_client.get(reverse("business_users")).content.decode()
    # The link in the late e-mail works.
    token = JOIN.search(message.body).group(1)
    assert Client().get(reverse("invitation_join", args=[token])).status_code == 200


def test_inviting_many_with_the_broker_down_tries_the_broker_once_and_sends_all_later(
    alice_client,
    alice,
    company,
    broker_down,
    mailoutbox,
    caplog,
    django_capture_on_commit_callbacks,
):
    emails = [f"new{n}@example.com" for n in range(5)]
    with (
        caplog.at_level(logging.WARNING, logger="outbox.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = alice_client.post(
            reverse("invite_users"), {"emails": "\n".join(emails), "action": "send"}
        )
    assert response.status_code == 302
    # One failed try, then the process leaves the broker alone for a moment.
    assert caplog.text.count("Could not enqueue e-mail") == 1
    assert OutboxEmail.objects.filter(status="queued").count() == 5

    _broker_back_and_sweep(broker_down)

    assert sorted(m.to[0] for m in mailoutbox) == emails


def test_inviting_through_the_api_with_the_broker_down_answers_201(
    alice, company, broker_down, mailoutbox, django_capture_on_commit_callbacks
):
    client = api_client(token_for(alice))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/accounts/{company.pk}/invitations/",
            {"emails": ["new@example.com"]},
            format="json",
        )
    assert response.status_code == 201
    listed = client.get(f"/api/v1/accounts/{company.pk}/invitations/").json()["results"]
    assert [(i["email"], i["email_status"], i["sent_at"]) for i in listed] == [
        ("new@example.com", "queued", None)
    ]

    _broker_back_and_sweep(broker_down)

    assert [m.to for m in mailoutbox] == [["new@example.com"]]


def test_blocking_with_the_broker_down_answers_and_the_email_goes_out_later(
    alice_client, alice, bob, company, broker_down, mailoutbox, django_capture_on_commit_callbacks
):
    membership = Membership.objects.get(user=bob, account=company)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("membership_block", args=[membership.pk]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert mailoutbox == []

    _broker_back_and_sweep(broker_down)

    [message] = mailoutbox
    assert message.to == ["bob@example.com"] and "blocked" in message.subject


def test_signing_up_with_the_broker_down_answers_and_the_confirmation_goes_out_later(
    client, db, broker_down, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), VALID)
    assert response.status_code == 302
    assert mailoutbox == []

    _broker_back_and_sweep(broker_down)

    [message] = mailoutbox
    assert message.to == ["jane@example.com"] and "/accounts/confirm-email/" in message.body


@pytest.mark.parametrize("attempts", [1, 3])
def test_a_sweep_that_finds_the_broker_gone_again_leaves_the_email_for_the_next(
    alice_client,
    alice,
    company,
    broker_down,
    mailoutbox,
    django_capture_on_commit_callbacks,
    attempts,
):
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("invite_users"), {"emails": "new@example.com", "action": "send"})
    later = timezone.now() + sweep_after() + timedelta(seconds=1)
    for n in range(attempts):
        with time_machine.travel(later + sweep_after() * n):
            assert tasks.email_sweep_task.apply().get() == 0  # the broker is still down
    assert OutboxEmail.objects.get().status == "queued"

    _broker_back_and_sweep(broker_down)
    with time_machine.travel(later + sweep_after() * (attempts + 1)):
        tasks.email_sweep_task.delay()

    assert len(mailoutbox) == 1
