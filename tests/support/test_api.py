"""Support tickets in the REST API: list, read, create, reply, download an attachment,
with exact shapes; any active member writes; bad input changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support import services
from support.models import Ticket, TicketAttachment, TicketMessage
from tests.api.conftest import api_client, token_for
from tests.support.conftest import PNG, ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_api(bob):
    return api_client(token_for(bob))


@pytest.fixture
def alice_api(alice):
    return api_client(token_for(alice))


def _base(company) -> str:
    return f"/api/v1/accounts/{company.pk}/tickets/"


def test_a_member_opens_a_ticket_and_reads_it(bob_api, bob, company, subscription):
    response = bob_api.post(
        _base(company),
        {
            "subject": "Proxy refuses",
            "category": "technical",
            "message": "Error 42",
            "subscription_id": subscription.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    ticket = Ticket.objects.get()
    assert body == {
        "id": ticket.pk,
        "subject": "Proxy refuses",
        "category": "technical",
        "status": "open",
        "author": "bob@example.com",
        "subscription_id": subscription.pk,
        "license_key_id": None,
        "proxy_server_id": None,
        "uses_incident": False,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "incidents_left": None,
        "watchers": ["bob@example.com"],
        "messages": [
            {
                "id": ticket.messages.get().pk,
                "author": "bob@example.com",
                "from_support": False,
                "body": "Error 42",
                "created_at": body["messages"][0]["created_at"],
                "attachments": [],
            }
        ],
    }
    assert bob_api.get(f"{_base(company)}{ticket.pk}/").json() == body


def test_internal_notes_never_leave_through_the_api(alice_api, company, ticket, erin):
    services.ticket_staff_reply(ticket=ticket, staff=erin, message="secret", internal=True)
    services.ticket_staff_reply(ticket=ticket, staff=erin, message="public")
    messages = alice_api.get(f"{_base(company)}{ticket.pk}/").json()["messages"]
    assert [(m["body"], m["author"], m["from_support"]) for m in messages] == [
        ("It says the key is taken.", "alice@example.com", False),
        ("public", None, True),
    ]


def test_reply_mails_the_other_watchers(
    bob_api, company, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_api.post(
            f"{_base(company)}{ticket.pk}/replies/", {"message": "Still broken"}, format="json"
        )
    assert response.status_code == 201
    assert response.json()["body"] == "Still broken"
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]


def test_list_filters_and_pages(alice_api, company, alice):
    for i in range(3):
        ticket_create(company, alice, subject=f"Q{i}")
    closed = ticket_create(company, alice, subject="Done")
    services.ticket_close(ticket=closed, actor=alice)
    page = alice_api.get(_base(company), {"page_size": 2}).json()
    assert [t["subject"] for t in page["results"]] == ["Done", "Q2"]
    assert alice_api.get(page["next"]).json()["results"][0]["subject"] == "Q1"
    closed_only = alice_api.get(_base(company), {"status": "closed"}).json()["results"]
    assert [t["id"] for t in closed_only] == [closed.pk]
    assert alice_api.get(_base(company), {"search": "q1"}).json()["results"][0]["subject"] == "Q1"


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count(alice_api, company, alice, rows):
    for i in range(rows):
        ticket_create(company, alice, subject=f"Q{i}")
    with CaptureQueriesContext(connection) as queries:
        assert alice_api.get(_base(company)).status_code == 200
    # the token (with its owner), its owner's SSO domain, the membership, one page of
    # tickets with authors.
    assert len(queries) == 4, "\n".join(q["sql"][:120] for q in queries)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"subject": "", "category": "technical", "message": "x"}, 400, "invalid"),
        ({"subject": "x", "category": "billing", "message": "x"}, 400, "invalid"),
        ({"subject": 5, "category": "technical", "message": "x"}, 400, "invalid"),
        ({"subject": "x", "category": "technical", "message": "  "}, 400, "invalid"),
        (
            {"subject": "x", "category": "technical", "message": "y", "subscription_id": 999999},
            400,
            "subscription_unknown",
        ),
    ],
)
def test_bad_input_changes_nothing(alice_api, company, body, status, code):
    response = alice_api.post(_base(company), body, format="json")
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    assert Ticket.objects.count() == 0


def test_another_accounts_subscription_is_unknown(alice_api, company, other_subscription):
    response = alice_api.post(
        _base(company),
        {
            "subject": "x",
            "category": "technical",
            "message": "y",
            "subscription_id": other_subscription.pk,
        },
        format="json",
    )
    assert response.json()["error"]["code"] == "subscription_unknown"
    assert Ticket.objects.count() == 0


def test_no_incidents_left_is_409(alice_api, company, alice, subscription):
    subscription.support_incidents = 0
    subscription.save(update_fields=["support_incidents"])
    response = alice_api.post(
        _base(company),
        {
            "subject": "x",
            "category": "technical",
            "message": "y",
            "subscription_id": subscription.pk,
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_incidents_left"
    assert Ticket.objects.count() == 0


def test_reply_to_a_closed_ticket_is_409(alice_api, alice, company, ticket):
    services.ticket_close(ticket=ticket, actor=alice)
    response = alice_api.post(
        f"{_base(company)}{ticket.pk}/replies/", {"message": "x"}, format="json"
    )
    assert response.status_code == 409
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_another_accounts_ticket_is_404(charlie, other_company, company, ticket):
    client = api_client(token_for(charlie))
    assert client.get(f"{_base(other_company)}{ticket.pk}/").status_code == 404
    response = client.post(
        f"{_base(other_company)}{ticket.pk}/replies/", {"message": "x"}, format="json"
    )
    assert response.status_code == 404
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def _attached(ticket, author, name="screen", content=PNG) -> TicketAttachment:
    services.ticket_reply(
        ticket=ticket,
        author=author,
        message="Here it is.",
        uploads=[services.Upload(name=name, content=content)],
    )
    return TicketAttachment.objects.get(name=name)


def _download_url(company, ticket, attachment) -> str:
    return f"{_base(company)}{ticket.pk}/attachments/{attachment.pk}/"


@pytest.mark.parametrize("accept", ["application/json", "image/png", "*/*"])
def test_a_member_downloads_an_attachment_the_page_took(bob_api, company, ticket, alice, accept):
    attachment = _attached(ticket, alice)
    detail = bob_api.get(f"{_base(company)}{ticket.pk}/").json()
    listed = detail["messages"][-1]["attachments"]
    assert listed == [
        {"id": attachment.pk, "name": "screen", "content_type": "image/png", "size": len(PNG)}
    ]

    response = bob_api.get(_download_url(company, ticket, attachment), HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"  # as detected, whatever was asked
    assert response["Content-Disposition"] == 'attachment; filename="screen"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PNG


def test_an_attachment_of_another_ticket_or_account_or_an_internal_note_is_404(
    alice_api, charlie, company, other_company, ticket, alice, erin
):
    attachment = _attached(ticket, alice)
    other_ticket = ticket_create(company, alice, subject="Another one")
    note = services.ticket_staff_reply(ticket=ticket, staff=erin, message="n", internal=True)
    internal = TicketAttachment.objects.create(
        message=note, name="note.png", content_type="image/png", size=1, file="support/x"
    )
    charlie_api = api_client(token_for(charlie))
    refusals = [
        (alice_api, _download_url(company, other_ticket, attachment)),
        (alice_api, _download_url(company, ticket, internal)),
        (charlie_api, _download_url(other_company, ticket, attachment)),
        (charlie_api, _download_url(company, ticket, attachment)),
    ]
    for client, url in refusals:
        response = client.get(url, HTTP_ACCEPT="image/png")
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "not_found"


def test_an_attachment_whose_file_is_gone_is_404(bob_api, company, ticket, alice):
    attachment = _attached(ticket, alice)
    attachment.file.delete(save=False)

    response = bob_api.get(_download_url(company, ticket, attachment))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_without_a_token_an_attachment_is_401(company, ticket, alice):
    attachment = _attached(ticket, alice)
    response = api_client(None).get(_download_url(company, ticket, attachment))
    assert response.status_code == 401


def test_a_member_opens_a_ticket_with_files_as_a_form(bob_api, company, subscription):
    response = bob_api.post(
        _base(company),
        {
            "subject": "Licenses missing",
            "category": "licensing",
            "message": "We bought 20.",
            "subscription_id": str(subscription.pk),
            "attachments": [
                SimpleUploadedFile("invoice", PNG, content_type="text/html"),
                SimpleUploadedFile("proxy.log", b"12:00 refused\n", content_type="image/png"),
            ],
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get()
    assert ticket.subscription == subscription
    files = response.json()["messages"][0]["attachments"]
    assert [(f["name"], f["content_type"], f["size"]) for f in files] == [
        ("invoice", "image/png", len(PNG)),  # by content, not by name or header
        ("proxy.log", "text/plain", 14),
    ]
    download = bob_api.get(
        _download_url(company, ticket, TicketAttachment.objects.get(pk=files[1]["id"]))
    )
    assert b"".join(download.streaming_content) == b"12:00 refused\n"


def test_a_reply_with_a_file_as_a_form(alice_api, company, ticket):
    response = alice_api.post(
        f"{_base(company)}{ticket.pk}/replies/",
        {"message": "The screen.", "attachments": [SimpleUploadedFile("s.png", PNG)]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    assert [a["name"] for a in response.json()["attachments"]] == ["s.png"]
    assert TicketAttachment.objects.get().message.body == "The screen."


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([("page.pdf", b"<!DOCTYPE html><script>alert(1)</script>")], 400, "attachment_type"),
        ([("a.exe", b"MZ\x90\x00binary")], 400, "attachment_type"),
        ([(f"{n}.png", PNG) for n in range(6)], 400, "too_many_attachments"),
        ([("big.txt", b"x" * (5 * 1024 * 1024 + 1))], 413, "attachment_too_large"),
    ],
)
def test_a_bad_file_refuses_the_whole_reply_and_stores_nothing(
    alice_api, company, ticket, settings, files, status, code
):
    response = alice_api.post(
        f"{_base(company)}{ticket.pk}/replies/",
        {
            "message": "See attached.",
            "attachments": [SimpleUploadedFile(name, content) for name, content in files],
        },
        format="multipart",
    )

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1
    assert TicketAttachment.objects.count() == 0
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.*"))


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"subject": "", "category": "technical", "message": "x"}, "invalid"),
        ({"subject": "x", "category": "billing", "message": "x"}, "invalid"),
        ({"subject": "x", "category": "technical", "message": "  "}, "invalid"),
        (
            {"subject": "x", "category": "technical", "message": "y", "subscription_id": "abc"},
            "invalid",
        ),
        (
            {"subject": "x", "category": "technical", "message": "y", "subscription_id": "0"},
            "invalid",
        ),
        ("other account's subscription", "subscription_unknown"),
    ],
)
def test_a_bad_ticket_form_stores_neither_ticket_nor_file(
    alice_api, company, other_subscription, settings, fields, code
):
    if fields == "other account's subscription":
        fields = {
            "subject": "x",
            "category": "technical",
            "message": "y",
            "subscription_id": str(other_subscription.pk),
        }
    response = alice_api.post(
        _base(company),
        {**fields, "attachments": [SimpleUploadedFile("s.png", PNG)]},
        format="multipart",
    )

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    assert Ticket.objects.count() == 0
    assert TicketAttachment.objects.count() == 0
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.*"))
