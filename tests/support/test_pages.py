"""Support → Tickets pages: list, new ticket, thread, reply, close, reopen, watchers,
attachments. alice administers My Company, bob is a Regular Member, dave is blocked,
charlie administers Other Corp."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from support import services
from support.models import Ticket, TicketAttachment, TicketMessage, TicketWatcher
from tests.support.conftest import PNG, ticket_create

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_accounts_tickets_with_status(
    alice_client, ticket, other_company, charlie
):
    ticket_create(other_company, charlie, subject="Not yours")
    html = alice_client.get(reverse("ticket_list")).content.decode()
    assert "Proxy will not activate" in html
    assert "Not yours" not in html
    assert "Support Tickets (1)" in html


def test_the_list_has_an_empty_state(alice_client, company):
    html = alice_client.get(reverse("ticket_list")).content.decode()
    assert "No support tickets yet" in html


def test_filter_search_and_sort(alice_client, company, alice):
    a = ticket_create(company, alice, subject="Alpha question")
    b = ticket_create(company, alice, subject="Beta question", category="purchase")
    services.ticket_close(ticket=b, actor=alice)
    page = alice_client.get(reverse("ticket_list"), {"status": "closed"})
    assert list(page.context["tickets"]) == [b]
    page = alice_client.get(reverse("ticket_list"), {"q": "alpha"})
    assert list(page.context["tickets"]) == [a]
    page = alice_client.get(reverse("ticket_list"), {"q": f"#{b.pk}"})
    assert list(page.context["tickets"]) == [b]
    page = alice_client.get(reverse("ticket_list"), {"category": "purchase"})
    assert list(page.context["tickets"]) == [b]
    page = alice_client.get(reverse("ticket_list"), {"sort": "subject"})
    assert list(page.context["tickets"]) == [a, b]
    page = alice_client.get(reverse("ticket_list"), {"sort": "-subject"})
    assert list(page.context["tickets"]) == [b, a]


def test_bad_filter_values_fall_back_to_the_defaults(alice_client, ticket):
    page = alice_client.get(
        reverse("ticket_list"), {"status": "x", "sort": "drop table", "page": "-1", "q": "\x00"}
    )
    assert page.status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count(alice_client, company, alice, rows, settings):
    settings.USERSESSIONS_TRACK_ACTIVITY = False  # allauth's bookkeeping, not the page's
    for i in range(rows):
        ticket_create(company, alice, subject=f"Question {i}")
    alice_client.get(reverse("ticket_list"))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get(reverse("ticket_list"))
    assert response.status_code == 200
    # session, user, the SSO domain of the user's address, memberships (middleware), the
    # status counts, one page of tickets with their authors, the subscriptions with
    # limited incidents.
    assert len(queries) == 7, "\n".join(q["sql"][:150] for q in queries)


def test_create_a_ticket_with_an_attachment(bob_client, bob, company, subscription, settings):
    response = bob_client.post(
        reverse("ticket_create"),
        {
            "subject": "Licenses missing",
            "category": "licensing",
            "subscription": subscription.pk,
            "message": "We bought 20.",
            "attachments": [SimpleUploadedFile("invoice", PNG, content_type="text/html")],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[ticket.pk])
    assert (ticket.author, ticket.account, ticket.subscription) == (bob, company, subscription)
    attachment = TicketAttachment.objects.get()
    assert attachment.content_type == "image/png"  # by content, not the name or the header
    download = bob_client.get(reverse("ticket_attachment", args=[ticket.pk, attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PNG


def test_another_accounts_subscription_is_not_a_choice(alice_client, company, other_subscription):
    response = alice_client.post(
        reverse("ticket_create"),
        {
            "subject": "x",
            "category": "technical",
            "subscription": other_subscription.pk,
            "message": "y",
        },
    )
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert "Other HQ" not in alice_client.get(reverse("ticket_create")).content.decode()


def test_a_bad_attachment_is_refused_on_the_form_and_nothing_is_stored(alice_client, company):
    response = alice_client.post(
        reverse("ticket_create"),
        {
            "subject": "x",
            "category": "technical",
            "message": "y",
            "attachments": [SimpleUploadedFile("a.pdf", b"MZ\x90\x00binary", "application/pdf")],
        },
    )
    assert response.status_code == 400
    assert "is not a file type support accepts" in response.content.decode()
    assert Ticket.objects.count() == TicketAttachment.objects.count() == 0


def test_no_incidents_left_is_a_clear_error(alice_client, alice, company, subscription):
    subscription.support_incidents = 1
    subscription.save(update_fields=["support_incidents"])
    ticket_create(company, alice, subscription=subscription)
    page = alice_client.get(reverse("ticket_list")).content.decode()
    assert "Headquarters: 0 of 1 left" in page
    response = alice_client.post(
        reverse("ticket_create"),
        {"subject": "x", "category": "technical", "subscription": subscription.pk, "message": "y"},
    )
    assert response.status_code == 400
    assert "has no support incidents left" in response.content.decode()
    assert Ticket.objects.count() == 1


def test_thread_shows_public_messages_only(alice_client, ticket, erin):
    services.ticket_staff_reply(ticket=ticket, staff=erin, message="Public answer")
    services.ticket_staff_reply(ticket=ticket, staff=erin, message="Secret note", internal=True)
    html = alice_client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Public answer" in html
    assert "Secret note" not in html
    assert "Waiting for you" in html


def test_an_internal_notes_attachment_is_not_served(alice_client, ticket, erin):
    note = services.ticket_staff_reply(ticket=ticket, staff=erin, message="n", internal=True)
    attachment = TicketAttachment.objects.create(
        message=note, name="x.png", content_type="image/png", size=1, file="support/x"
    )
    url = reverse("ticket_attachment", args=[ticket.pk, attachment.pk])
    assert alice_client.get(url).status_code == 404


def test_reply_mails_the_other_watchers(
    bob_client, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(
            reverse("ticket_reply", args=[ticket.pk]), {"message": "Any news?"}
        )
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]


def test_an_empty_reply_changes_nothing(bob_client, ticket, mailoutbox):
    response = bob_client.post(reverse("ticket_reply", args=[ticket.pk]), {"message": "  "})
    assert response.status_code == 400
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1
    assert mailoutbox == []


def test_close_asks_first_then_closes_and_reopen_does_not_ask(alice_client, ticket):
    url = reverse("ticket_close", args=[ticket.pk])
    confirm = alice_client.get(url)
    assert confirm.status_code == 200
    assert "data-dialog-content" in confirm.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    alice_client.post(url)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    alice_client.post(reverse("ticket_reopen", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_member_manages_only_their_own_watching(bob_client, alice, bob, ticket):
    bob_client.post(reverse("ticket_unwatch", args=[ticket.pk]))
    assert not TicketWatcher.objects.filter(ticket=ticket, user=bob).exists()
    bob_client.post(reverse("ticket_watch", args=[ticket.pk]))
    assert TicketWatcher.objects.filter(ticket=ticket, user=bob).exists()
    bob_client.post(reverse("ticket_unwatch", args=[ticket.pk]), {"user": alice.pk})
    assert TicketWatcher.objects.filter(ticket=ticket, user=alice).exists()


def test_an_administrator_adds_and_removes_anyone(alice_client, alice, bob, company):
    ticket = ticket_create(company, alice)
    alice_client.post(reverse("ticket_watch", args=[ticket.pk]), {"user": bob.pk})
    assert TicketWatcher.objects.filter(ticket=ticket, user=bob).exists()
    alice_client.post(reverse("ticket_unwatch", args=[ticket.pk]), {"user": bob.pk})
    assert not TicketWatcher.objects.filter(ticket=ticket, user=bob).exists()


def test_a_personal_account_has_tickets_too(db):
    from django.test import Client

    from tests import factories

    user = factories.user_create("pat@example.com", "Pat", "Solo")
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("ticket_create"),
        {"subject": "Where is my key?", "category": "purchase", "message": "Bought one."},
    )
    assert response.status_code == 302
    assert Ticket.objects.get().account.kind == "personal"


def test_the_support_page_and_the_navigation_link_to_tickets(alice_client):
    html = alice_client.get(reverse("support")).content.decode()
    assert html.count(f'href="{reverse("ticket_list")}"') >= 2


@pytest.mark.parametrize("replies", [0, 20])
def test_detail_query_count(alice_client, ticket, bob, erin, replies, settings):
    settings.USERSESSIONS_TRACK_ACTIVITY = False
    for i in range(replies):
        services.ticket_reply(
            ticket=ticket,
            author=bob,
            message=f"reply {i}",
            uploads=[services.Upload(name=f"{i}.png", content=PNG)],
        )
    url = reverse("ticket_detail", args=[ticket.pk])
    alice_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert alice_client.get(url).status_code == 200
    # session, user, the SSO domain of the user's address, memberships (middleware), the
    # ticket (with author, subscription, key, server), its watchers with their users, the
    # thread, the thread's attachments, and whether any other member could still be added
    # (here none: both watch).
    assert len(queries) == 9, "\n".join(q["sql"][:150] for q in queries)
