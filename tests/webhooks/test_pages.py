"""Business Profile → Webhooks: what an Account Administrator does there, and who else
cannot (a Regular Member gets 403 as on the Audit Log; another company's endpoint is
a 404)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from tests.webhooks.conftest import endpoint_make
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(alice, company):
    return endpoint_make(company, alice, "https://hooks.example.com/myaccount")[0]


@pytest.fixture
def charlie_endpoint(charlie, other_company):
    return endpoint_make(other_company, charlie, "https://hooks.example.org/other")[0]


def pages(endpoint) -> list[tuple[str, str]]:
    delivery_args = [endpoint.pk, 0]
    return [
        ("get", reverse("webhook_endpoints")),
        ("get", reverse("webhook_endpoint_new")),
        ("get", reverse("webhook_endpoint", args=[endpoint.pk])),
        ("post", reverse("webhook_endpoint_edit", args=[endpoint.pk])),
        ("post", reverse("webhook_endpoint_rotate", args=[endpoint.pk])),
        ("post", reverse("webhook_endpoint_test", args=[endpoint.pk])),
        ("post", reverse("webhook_endpoint_delete", args=[endpoint.pk])),
        ("post", reverse("webhook_endpoint_redeliver", args=[endpoint.pk])),
        ("get", reverse("webhook_delivery", args=delivery_args)),
        ("post", reverse("webhook_delivery_redeliver", args=delivery_args)),
    ]


def snapshot():
    return (
        list(Endpoint.objects.order_by("id").values()),
        list(Delivery.objects.order_by("id").values()),
        AuditLog.objects.count(),
    )


def test_a_regular_member_can_neither_see_nor_change_endpoints(bob_client, endpoint):
    before = snapshot()
    for method, url in pages(endpoint):
        assert getattr(bob_client, method)(url).status_code == 403, url
    assert snapshot() == before
    assert "Webhooks" not in bob_client.get(reverse("business_profile")).content.decode()


def test_a_blocked_member_cannot_either(dave_client, endpoint):
    before = snapshot()
    for method, url in pages(endpoint):
        assert getattr(dave_client, method)(url).status_code in (403, 404), url
    assert snapshot() == before


def test_another_companys_administrator_gets_404_for_our_endpoint(
    charlie_client, endpoint, charlie_endpoint
):
    before = snapshot()
    for method, url in pages(endpoint)[2:]:
        assert getattr(charlie_client, method)(url).status_code == 404, url
    assert snapshot() == before
    listing = charlie_client.get(reverse("webhook_endpoints")).content.decode()
    assert "hooks.example.org" in listing and "hooks.example.com" not in listing


def test_anonymous_visitors_are_sent_to_sign_in(client, endpoint):
    for method, url in pages(endpoint):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_an_administrator_adds_an_endpoint_and_sees_its_secret_once(alice_client, company):
    response = alice_client.post(
        reverse("webhook_endpoint_new"),
        {
            "url": "https://hooks.example.com/in",
            "description": "Ticketing",
            "event_types": ["proxy_server.activated", "sublicense.changed"],
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    endpoint = Endpoint.objects.get()
    page = response.content.decode()
    assert endpoint.secret in page and "not be shown again" in page
    assert endpoint.event_types == ["proxy_server.activated", "sublicense.changed"]
    assert endpoint.created_by.email == "alice@example.com"
    assert AuditLog.objects.filter(action="webhook_endpoint.created", account=company).exists()

    detail = alice_client.get(reverse("webhook_endpoint", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in detail
    assert endpoint.secret not in alice_client.get(reverse("webhook_endpoints")).content.decode()


def test_every_input_of_the_pages_has_a_label(alice_client, endpoint):
    for url in (
        reverse("webhook_endpoints"),
        reverse("webhook_endpoint_new"),
        reverse("webhook_endpoint", args=[endpoint.pk]),
    ):
        page = alice_client.get(url).content.decode()
        main = page[page.index('id="main"') :]
        ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', main)
        inputs = re.findall(r"<(?:input|select|textarea)\b[^>]*>", main)
        visible = [i for i in inputs if 'type="hidden"' not in i]
        assert len(ids) == len(visible)
        for input_id in ids:
            assert f'for="{input_id}"' in main, (url, input_id)


def test_a_refused_url_is_a_form_error_and_changes_nothing(alice_client, settings, company):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    before = snapshot()
    response = alice_client.post(
        reverse("webhook_endpoint_new"),
        {"url": "https://192.168.1.10/hooks", "event_types": ["member.blocked"]},
    )
    assert response.status_code == 200
    assert "private address" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/hooks",
        "https://2130706433/hooks",
        "https://hooks example.com/hooks",
        "https://hooks%00.example.com/hooks",
    ],
)
def test_a_host_that_can_never_receive_is_a_form_error_and_changes_nothing(
    alice_client, settings, company, url
):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    before = snapshot()
    response = alice_client.post(
        reverse("webhook_endpoint_new"), {"url": url, "event_types": ["member.blocked"]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "not a valid host name" in page or "loopback address" in page
    assert snapshot() == before


def test_no_event_type_is_a_form_error_and_changes_nothing(alice_client, company):
    before = snapshot()
    response = alice_client.post(
        reverse("webhook_endpoint_new"), {"url": "https://hooks.example.com/x"}
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = alice_client.post(
        reverse("webhook_endpoint_new"),
        {"url": "https://hooks.example.com/x", "event_types": ["nothing.happened"]},
    )
    assert "Select a valid choice" in response.content.decode()
    assert snapshot() == before


def test_an_administrator_edits_disables_and_deletes_an_endpoint(alice_client, endpoint):
    response = alice_client.post(
        reverse("webhook_endpoint_edit", args=[endpoint.pk]),
        {"url": endpoint.url, "description": "Monitoring", "event_types": ["member.removed"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.event_types, endpoint.enabled) == (
        "Monitoring",
        ["member.removed"],
        False,
    )
    entry = AuditLog.objects.get(action="webhook_endpoint.updated")
    assert entry.data == {
        "description": "Monitoring",
        "event_types": ["member.removed"],
        "enabled": False,
    }

    # Delete asks first, on a page of its own (the dialog with JavaScript), and
    # changes nothing until confirmed.
    before = snapshot()
    detail = alice_client.get(reverse("webhook_endpoint", args=[endpoint.pk])).content.decode()
    delete_url = reverse("webhook_endpoint_delete", args=[endpoint.pk])
    assert f'href="{delete_url}" data-dialog-load="confirm-dialog"' in detail
    confirm = alice_client.get(delete_url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert f"Delete the endpoint {endpoint.url}?" in page
    assert "Its delivery log is deleted with it" in page
    assert re.search(rf'<form[^>]+method="post"[^>]+action="{delete_url}"', page)
    assert snapshot() == before

    response = alice_client.post(delete_url)
    assert response.status_code == 302
    assert not Endpoint.objects.exists()
    assert AuditLog.objects.filter(action="webhook_endpoint.deleted").exists()


def test_rotating_shows_the_new_secret_once_and_is_audited(alice_client, endpoint):
    old = endpoint.secret
    response = alice_client.post(reverse("webhook_endpoint_rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    page = response.content.decode()
    assert endpoint.secret != old and endpoint.secret in page
    assert endpoint.previous_secret == old
    assert "keeps signing beside this one" in page
    assert AuditLog.objects.filter(action="webhook_endpoint.secret_rotated").count() == 1


def failed_delivery(endpoint, n: int, created_at):
    event = endpoint.account.webhook_events.create(
        public_id=f"evt_failed_{n}",
        type="member.blocked",
        occurred_at=created_at,
        body='{"type": "member.blocked"}',
        ordering_key=f"member:{n}",
    )
    delivery = endpoint.deliveries.create(
        event=event, ordering_key=event.ordering_key, status="failed", attempt_count=9
    )
    Delivery.objects.filter(pk=delivery.pk).update(created_at=created_at)
    delivery.attempts.create(
        started_at=created_at, status_code=503, duration_ms=1234, response_body="Down for repairs"
    )
    return delivery


def test_send_test_event_queues_one_delivery_and_is_audited(alice_client, endpoint):
    response = alice_client.post(reverse("webhook_endpoint_test", args=[endpoint.pk]))
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.endpoint, delivery.event.type) == (endpoint, "webhook.test")
    assert AuditLog.objects.filter(action="webhook_endpoint.test_sent").count() == 1


def test_the_delivery_page_shows_each_attempt(alice_client, endpoint):
    delivery = failed_delivery(endpoint, 1, timezone.now())
    page = alice_client.get(
        reverse("webhook_delivery", args=[endpoint.pk, delivery.pk])
    ).content.decode()
    assert "503" in page and "1234 ms" in page and "Down for repairs" in page
    assert "evt_failed_1" in page


def test_redeliver_all_failed_since_a_time(alice_client, endpoint):
    now = timezone.now()
    old = failed_delivery(endpoint, 1, now - timedelta(days=3))
    recent = failed_delivery(endpoint, 2, now - timedelta(hours=2))
    response = alice_client.post(
        reverse("webhook_endpoint_redeliver", args=[endpoint.pk]),
        {"since": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == ("failed", "pending")
    entry = AuditLog.objects.get(action="webhook_endpoint.redelivered")
    assert entry.data["deliveries"] == 1


def test_redeliver_one(alice_client, endpoint):
    delivery = failed_delivery(endpoint, 1, timezone.now())
    response = alice_client.post(
        reverse("webhook_delivery_redeliver", args=[endpoint.pk, delivery.pk])
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.round_started_at is None


def test_redeliver_without_a_valid_time_is_a_form_error_and_changes_nothing(alice_client, endpoint):
    failed_delivery(endpoint, 1, timezone.now())
    before = snapshot()
    for since in ("", "yesterday", "2026-13-45T99:99"):
        response = alice_client.post(
            reverse("webhook_endpoint_redeliver", args=[endpoint.pk]), {"since": since}
        )
        assert response.status_code == 200
        assert "field__error" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("language", ["en", "de"])
def test_on_a_phone_each_cell_of_the_three_tables_is_named_by_its_column(
    alice_client, endpoint, language
):
    """At 390 px a table row becomes a card whose cells carry their column's name
    (data-label, static/css/app.css): without it the card shows bare numbers."""
    delivery = failed_delivery(endpoint, 1, timezone.now())
    alice_client.cookies["myaccount_language"] = language
    for url in [
        reverse("webhook_endpoints"),
        reverse("webhook_endpoint", args=[endpoint.pk]),
        reverse("webhook_delivery", args=[endpoint.pk, delivery.pk]),
    ]:
        page = alice_client.get(url).content.decode()
        table = page[page.index('<div class="table-wrap">') :]
        table = table[: table.index("</table>")]
        columns = re.findall(r'<th scope="col">([^<]+)</th>', table)
        body = table[table.index("<tbody") :]
        labels = re.findall(r'<td data-label="([^"]+)"', body)
        assert labels == columns, url
        assert not re.search(r"<td>", body), url
