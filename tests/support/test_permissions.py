"""Who may do what with support tickets, on every page and endpoint: a blocked member
and another company see nothing (404), any active member works the account's
tickets, only an Account Administrator changes other people's watching."""

from __future__ import annotations

import pytest
from django.urls import reverse

from support.models import Ticket, TicketAttachment, TicketWatcher
from tests.api.conftest import api_client, token_for
from tests.support.conftest import PNG
from tests.support.conftest import ticket_create as make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(company, alice, bob):
    from support import services

    ticket = make_ticket(company, alice, uploads=[services.Upload(name="shot.png", content=PNG)])
    return ticket, TicketAttachment.objects.get()


def _pages(ticket, attachment) -> list[tuple[str, str]]:
    return [
        ("get", reverse("ticket_detail", args=[ticket.pk])),
        ("post", reverse("ticket_reply", args=[ticket.pk])),
        ("get", reverse("ticket_close", args=[ticket.pk])),
        ("post", reverse("ticket_close", args=[ticket.pk])),
        ("post", reverse("ticket_reopen", args=[ticket.pk])),
        ("post", reverse("ticket_watch", args=[ticket.pk])),
        ("post", reverse("ticket_unwatch", args=[ticket.pk])),
        ("get", reverse("ticket_attachment", args=[ticket.pk, attachment.pk])),
    ]


@pytest.mark.parametrize("who", ["charlie", "dave"])
def test_outsiders_and_blocked_members_get_404_on_every_page(request, scene, who):
    ticket, attachment = scene
    client = request.getfixturevalue(f"{who}_client")
    for method, url in _pages(ticket, attachment):
        response = getattr(client, method)(url, {"message": "x"} if method == "post" else None)
        assert response.status_code == 404, url
    assert "Proxy will not activate" not in client.get(reverse("ticket_list")).content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.messages.count() == 1


@pytest.mark.parametrize("who", ["charlie", "dave"])
def test_outsiders_and_blocked_members_get_404_from_the_api(request, scene, company, who):
    ticket, _ = scene
    client = api_client(token_for(request.getfixturevalue(who)))
    base = f"/api/v1/accounts/{company.pk}/tickets/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}{ticket.pk}/").status_code == 404
    assert client.post(f"{base}{ticket.pk}/replies/", {"message": "x"}).status_code == 404
    assert (
        client.post(base, {"subject": "x", "category": "technical", "message": "y"}).status_code
        == 404
    )
    assert ticket.messages.count() == 1


def test_anonymous_is_sent_to_sign_in(client, scene):
    ticket, attachment = scene
    for method, url in _pages(ticket, attachment):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_regular_member_works_tickets_but_only_their_own_watching(bob_client, alice, bob, scene):
    ticket, attachment = scene
    assert bob_client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 200
    assert (
        bob_client.get(reverse("ticket_attachment", args=[ticket.pk, attachment.pk])).status_code
        == 200
    )
    assert (
        bob_client.post(
            reverse("ticket_reply", args=[ticket.pk]), {"message": "me too"}
        ).status_code
        == 302
    )
    bob_client.post(reverse("ticket_unwatch", args=[ticket.pk]), {"user": alice.pk})
    assert TicketWatcher.objects.filter(ticket=ticket, user=alice).exists()
    html = bob_client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Add watcher" not in html
