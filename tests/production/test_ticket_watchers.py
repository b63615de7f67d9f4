"""A support ticket's watchers are e-mailed over SMTP, through the outbox and the Celery
worker, once per public reply or status change each — never for a staff-internal note,
never to the person who made the change."""

from __future__ import annotations

import re

import pytest

from accounts.models import Membership
from support.models import Ticket
from tests import factories
from tests.production.stack import Browser, Portal, Smtp, Worker

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def test_watchers_get_one_email_per_change_and_none_for_an_internal_note(
    portal: Portal, worker: Worker, smtp: Smtp, company, alice, alice_browser: Browser
):
    bob = factories.user_create("bob@example.com", "Bob", "Member")
    factories.membership_create(bob, company, role=Membership.Role.MEMBER)
    sam = factories.user_create("sam@support.example", "Sam", "Support")
    sam.is_staff = sam.is_superuser = True
    sam.save(update_fields=["is_staff", "is_superuser"])
    logs = lambda: worker.log() + portal.log()  # noqa: E731

    # alice opens a ticket (she watches it) and makes bob a watcher.
    alice_browser.get("/support/tickets/new/")
    alice_browser.submit(
        having="subject",
        data={
            "subject": "Two keys for the Berlin office",
            "category": "licensing",
            "message": "Can we split the primary key?",
        },
    )
    ticket = Ticket.objects.get()
    alice_browser.get(f"/support/tickets/{ticket.pk}/")
    alice_browser.submit(having="user", data={"user": str(bob.pk)})
    assert set(ticket.watchers.values_list("user__email", flat=True)) == {
        "alice@example.com",
        "bob@example.com",
    }

    # 1. alice replies: bob is told, alice (who wrote it) is not.
    alice_browser.get(f"/support/tickets/{ticket.pk}/")
    alice_browser.submit(having="message", data={"message": "The office opens in May."})
    [reply] = smtp.wait_for("bob@example.com", logs=logs)
    assert f"#{ticket.pk}" in reply["Subject"]

    # 2. Support works the ticket in Django admin: an internal note, then a public
    # reply that makes it "Waiting for you".
    staff = Browser(portal)
    staff.sign_in(sam.email, factories.PASSWORD)
    change = f"/admin/support/ticket/{ticket.pk}/change/"
    staff.get(change)
    staff.submit(having="reply", data={"reply": "Customer is a reseller.", "internal": "on"})
    staff.get(change)
    staff.submit(having="reply", data={"reply": "Yes: create a Reserved sublicense."})

    smtp.wait_for("alice@example.com", logs=logs)
    smtp.wait_for("bob@example.com", logs=logs, count=2)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    # One e-mail per watcher per change, none for the note: alice 1 (support's reply),
    # bob 2 (alice's reply, support's reply); the staff member watches nothing.
    assert len(smtp.to("alice@example.com")) == 1
    assert len(smtp.to("bob@example.com")) == 2
    assert smtp.to("sam@support.example") == []
    bodies = [m.as_string() for m in smtp.to("bob@example.com")]
    assert not any(re.search("reseller", body) for body in bodies)
