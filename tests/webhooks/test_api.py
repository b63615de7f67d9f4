"""/api/v1/accounts/{id}/webhooks/...: only the account's Account Administrators,
with the same services (and audit entries) as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from tests.api.conftest import api_client, token_for
from tests.webhooks.conftest import endpoint_make
from webhooks import services
from webhooks.errors import WebhookError
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

BASE = "/api/v1/accounts/{account}/webhooks/"


@pytest.fixture
def alice_api(alice):
    return api_client(token_for(alice))


@pytest.fixture
def endpoint(alice, company):
    return endpoint_make(company, alice, "https://hooks.example.com/myaccount")[0]


def paths(company, endpoint) -> list[tuple[str, str, dict | None]]:
    base = BASE.format(account=company.pk)
    one = f"{base}{endpoint.pk}/"
    return [
        ("get", base, None),
        ("post", base, {"url": "https://x.example.com/", "event_types": ["member.blocked"]}),
        ("get", one, None),
        ("patch", one, {"description": "changed"}),
        ("delete", one, None),
        ("post", f"{one}rotate-secret/", None),
        ("post", f"{one}test/", None),
        ("post", f"{one}redeliver/", {"since": "2026-01-01T00:00:00Z"}),
        ("get", f"{one}deliveries/", None),
        ("get", f"{one}deliveries/1/", None),
        ("post", f"{one}deliveries/1/redeliver/", None),
    ]


def snapshot():
    return (
        list(Endpoint.objects.order_by("id").values()),
        list(Delivery.objects.order_by("id").values()),
        AuditLog.objects.count(),
    )


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("dave", 404), ("charlie", 404)])
def test_only_the_accounts_administrators_may_use_its_webhooks(
    request, who, status, company, endpoint
):
    client = api_client(token_for(request.getfixturevalue(who)))
    before = snapshot()
    for method, path, body in paths(company, endpoint):
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == status, (method, path)
        assert "error" in response.json()
    assert snapshot() == before


def test_without_a_token_it_is_401(company, endpoint):
    for method, path, body in paths(company, endpoint):
        response = getattr(api_client(None), method)(path, body, format="json")
        assert response.status_code == 401, path


def test_an_administrator_creates_reads_changes_and_deletes_an_endpoint(alice_api, company):
    base = BASE.format(account=company.pk)
    response = alice_api.post(
        base,
        {"url": "https://hooks.example.com/in", "event_types": ["member.joined"]},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    endpoint = Endpoint.objects.get()
    assert created["secret"] == endpoint.secret and created["secret"].startswith("whsec_")
    assert created["event_types"] == ["member.joined"] and created["enabled"] is True

    listed = alice_api.get(base).json()
    assert [e["id"] for e in listed["results"]] == [endpoint.pk]
    assert "secret" not in listed["results"][0]

    response = alice_api.patch(f"{base}{endpoint.pk}/", {"enabled": False}, format="json")
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert response.json()["url"] == "https://hooks.example.com/in"

    rotated = alice_api.post(f"{base}{endpoint.pk}/rotate-secret/").json()
    endpoint.refresh_from_db()
    assert rotated["secret"] == endpoint.secret != created["secret"]
    assert endpoint.previous_secret == created["secret"]

    assert alice_api.delete(f"{base}{endpoint.pk}/").status_code == 204
    assert not Endpoint.objects.exists()
    assert list(
        AuditLog.objects.filter(action__startswith="webhook_endpoint.")
        .order_by("id")
        .values_list("action", "channel")
    ) == [
        ("webhook_endpoint.created", "api"),
        ("webhook_endpoint.updated", "api"),
        ("webhook_endpoint.secret_rotated", "api"),
        ("webhook_endpoint.deleted", "api"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://10.0.0.1/", "event_types": ["member.joined"]},
        {"url": "https://localhost/", "event_types": ["member.joined"]},
        {"url": "https://2130706433/", "event_types": ["member.joined"]},
        {"url": "https://hooks example.com/", "event_types": ["member.joined"]},
        {"url": "https://hooks%00.example.com/", "event_types": ["member.joined"]},
        {"url": "https://hooks.example.com/", "event_types": []},
        {"url": "https://hooks.example.com/", "event_types": ["no.such"]},
        {"url": "https://hooks.example.com/"},
        {"event_types": ["member.joined"]},
        {"url": "x" * 600, "event_types": ["member.joined"]},
    ],
)
def test_bad_input_is_400_and_changes_nothing(alice_api, company, settings, body):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    before = snapshot()
    response = alice_api.post(BASE.format(account=company.pk), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("invalid", "url_refused", "event_type_unknown")
    assert snapshot() == before


def test_the_delivery_log_shows_the_event_and_its_attempts(alice_api, alice, company, endpoint):
    test = alice_api.post(f"{BASE.format(account=company.pk)}{endpoint.pk}/test/")
    assert test.status_code == 202
    delivery = Delivery.objects.get()
    base = f"{BASE.format(account=company.pk)}{endpoint.pk}/deliveries/"
    listed = alice_api.get(base).json()["results"]
    assert [(d["id"], d["event_type"]) for d in listed] == [(delivery.pk, "webhook.test")]
    detail = alice_api.get(f"{base}{delivery.pk}/").json()
    assert detail["event"]["type"] == "webhook.test"
    assert detail["event"]["account"]["id"] == company.pk
    assert isinstance(detail["attempts"], list)


def test_the_openapi_document_describes_every_event(client):
    schema = client.get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    mapping = components["WebhookEvent"]["discriminator"]["mapping"]
    assert "proxy_server.activated" in mapping and "sublicense.changed" in mapping
    for name in ("ProxyServerEvent", "SubscriptionEvent", "SublicenseEvent", "MemberEvent"):
        assert name in components
    assert "/api/v1/accounts/{account_id}/webhooks/" in schema["paths"]


def test_redelivering_a_delivery_being_sent_is_409_and_changes_nothing(
    alice_api, company, endpoint
):
    base = f"{BASE.format(account=company.pk)}{endpoint.pk}/"
    alice_api.post(f"{base}test/")  # claimed for sending: a worker holds it now
    delivery = Delivery.objects.get()
    before = snapshot()
    response = alice_api.post(f"{base}deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "delivery_pending"
    assert snapshot() == before


def test_redeliver_failed_since_a_time_counts_what_goes_again(alice_api, company, endpoint):
    base = f"{BASE.format(account=company.pk)}{endpoint.pk}/"
    alice_api.post(f"{base}test/")
    Delivery.objects.update(status="failed", leased_until=None, next_attempt_at=None)
    response = alice_api.post(f"{base}redeliver/", {"since": "2000-01-01T00:00:00Z"}, format="json")
    assert (response.status_code, response.json()) == (202, {"count": 1})
    assert Delivery.objects.get().status == "pending"
    bad = alice_api.post(f"{base}redeliver/", {"since": "yesterday"}, format="json")
    assert bad.status_code == 400


CHANGES = {
    "update": lambda endpoint, actor: services.endpoint_update(
        endpoint=endpoint,
        actor=actor,
        url=endpoint.url,
        event_types=endpoint.event_types,
        description="",
        enabled=True,
    ),
    "rotate": lambda endpoint, actor: services.endpoint_secret_rotate(
        endpoint=endpoint, actor=actor
    ),
    "test": lambda endpoint, actor: services.endpoint_test_send(endpoint=endpoint, actor=actor),
    "redeliver": lambda endpoint, actor: services.deliveries_redeliver(
        endpoint=endpoint, actor=actor
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_an_endpoint_deleted_meanwhile_is_not_found_and_changes_nothing(
    alice, company, endpoint, change
):
    """Another administrator deleted the endpoint after this request read it (as
    schemathesis's concurrent requests did): not found, as a moment later, not a 500."""
    services.endpoint_delete(endpoint=Endpoint.objects.get(pk=endpoint.pk), actor=alice)
    before = snapshot()

    with pytest.raises(WebhookError) as refused:
        CHANGES[change](endpoint, alice)

    assert (refused.value.code, refused.value.status) == ("not_found", 404)
    assert str(refused.value) == "No such webhook endpoint in this account."
    assert snapshot() == before


def test_deleting_an_endpoint_deleted_meanwhile_changes_nothing(alice, company, endpoint):
    services.endpoint_delete(endpoint=Endpoint.objects.get(pk=endpoint.pk), actor=alice)
    before = snapshot()

    services.endpoint_delete(endpoint=endpoint, actor=alice)

    assert snapshot() == before
