"""Support tickets as webhook events: what the account and the support team do to a
ticket (support.services writes the audit entries) arrives as ticket.created,
ticket.replied and ticket.status_changed; a staff-internal note never does."""

from __future__ import annotations

import json

import pytest

from support import services
from support.models import Ticket
from tests import factories
from tests.webhooks.conftest import endpoint_make
from webhooks import delivery
from webhooks.events import CATALOG, TYPES
from webhooks.models import Event

pytestmark = pytest.mark.django_db

TICKET_TYPES = ["ticket.created", "ticket.replied", "ticket.status_changed"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def erin(db):
    user = factories.user_create("erin@support.example", "Erin", "Staff")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def endpoint(alice, company):
    return endpoint_make(company, alice, "https://hooks.example.com/in", types=TICKET_TYPES)[0]


def events() -> list[dict]:
    delivery.events_fan_out()
    return [json.loads(e.body) for e in Event.objects.order_by("id")]


def test_the_catalog_has_the_ticket_events():
    assert [e.type for e in CATALOG if e.subject == "ticket"] == TICKET_TYPES
    assert all(TYPES[t].description for t in TICKET_TYPES)


def test_a_tickets_life_arrives_as_its_events(alice, bob, company, erin, endpoint):
    ticket = services.ticket_create(
        account=company,
        author=alice,
        subject="Proxy will not activate",
        category=Ticket.Category.LICENSING,
        message="It says the key is taken.",
    )
    services.ticket_staff_reply(ticket=ticket, staff=erin, message="Deactivate it first.")
    services.ticket_staff_reply(ticket=ticket, staff=erin, message="VIP customer", internal=True)
    services.ticket_reply(ticket=ticket, author=alice, message="Done, thanks.")
    services.ticket_close(ticket=ticket, actor=alice)
    services.ticket_reopen(ticket=ticket, actor=bob)
    services.ticket_status_set(ticket=ticket, staff=erin, status=Ticket.Status.RESOLVED)

    bodies = events()
    assert [b["type"] for b in bodies] == [
        "ticket.created",
        "ticket.replied",  # the support team's reply; the internal note is no event
        "ticket.replied",
        "ticket.status_changed",  # closed
        "ticket.status_changed",  # reopened
        "ticket.status_changed",  # resolved by the support team
    ]
    created = bodies[0]["data"]
    assert created["ticket"]["id"] == ticket.pk
    assert created["ticket"]["subject"] == "Proxy will not activate"
    assert (created["ticket"]["category"], created["ticket"]["status"]) == ("licensing", "open")
    assert created["by_support_team"] is False
    staff_reply = bodies[1]["data"]
    assert staff_reply["by_support_team"] is True
    assert staff_reply["status"] == {"from": "open", "to": "waiting"}
    assert [b["data"].get("status") for b in bodies[3:]] == [
        {"from": "open", "to": "closed"},
        {"from": "closed", "to": "open"},
        {"from": "open", "to": "resolved"},
    ]
    assert [b["data"]["ticket"]["status"] for b in bodies[3:]] == ["closed", "open", "resolved"]
    # Never the messages: a receiver learns that something happened, not what was said.
    assert "VIP" not in json.dumps(bodies) and "Deactivate it first" not in json.dumps(bodies)
    assert {b["account"]["id"] for b in bodies} == {company.pk}


def test_an_endpoint_that_chose_other_types_gets_no_ticket_events(alice, company):
    endpoint_make(company, alice, "https://hooks.example.com/in", types=["member.joined"])
    services.ticket_create(
        account=company,
        author=alice,
        subject="Invoice",
        category=Ticket.Category.PURCHASE,
        message="Please send the invoice again.",
    )
    delivery.events_fan_out()
    assert not Event.objects.filter(type__startswith="ticket.").exists()
