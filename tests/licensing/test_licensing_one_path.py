"""Each licensing operation has one path (licensing/api.py's DRF views, then the service):
its success and its refusals are answered in the shape the OpenAPI document gives them
(``{"message"}`` on 200, ``{"error": {"code", "message"}}`` otherwise), with a status
the document lists for the operation, and a refusal changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from licensing import services
from proxies.models import ProxyServer
from tests.licensing import factories
from tests.licensing.test_licensing_api import ACTIVATE, error_of, now_proxy, open_answer, post
from tests.licensing.test_licensing_services import snapshot

pytestmark = pytest.mark.django_db
REFRESH, USAGE, DEACTIVATE = (
    f"/api/licensing/{name}/" for name in ("refresh", "usage", "deactivate")
)
PUBLIC_KEYS = "/api/licensing/public-keys/"


@pytest.fixture
def api() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture(scope="module")
def documented() -> dict:
    """The statuses the OpenAPI document lists for each licensing path and method."""
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = json.loads(response.content)["paths"]
    return {
        (path, method): set(operation["responses"])
        for path, item in paths.items()
        if path.startswith("/api/licensing/")
        for method, operation in item.items()
    }


def _subscription(company, *, days_from: int, days_to: int, offline: bool = False):
    today = timezone.localdate()
    return factories.subscription_make(
        company,
        starts_on=today + timedelta(days=days_from),
        ends_on=today + timedelta(days=days_to),
        offline=offline,
    )


@pytest.fixture
def primary_key(company):
    return factories.primary_key_make(_subscription(company, days_from=-30, days_to=335))


def refused_as_documented(
    documented: dict, response, path: str, status: int, code: str, before: tuple
) -> None:
    assert response.status_code == status, response.content
    assert str(status) in documented[(path, "post" if path != PUBLIC_KEYS else "get")]
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == code
    assert snapshot() == before


def test_each_operation_answers_200_with_a_signed_message(api, documented, primary_key):
    proxy, now = now_proxy(), timezone.now()
    steps = [
        (ACTIVATE, proxy.activation(primary_key.key, now=now), "activation_response"),
        (USAGE, proxy.usage(2, now=now), "usage_response"),
        (REFRESH, proxy.refresh(now=now), "refresh_response"),
        (DEACTIVATE, proxy.deactivation(now=now), "deactivation_response"),
    ]
    for path, text, answer_type in steps:
        response = post(api, path, {"message": text})
        assert "200" in documented[(path, "post")]
        assert set(response.json()) == {"message"}
        answer = open_answer(response, answer_type)
        assert answer.payload["installation_id"] == proxy.installation_id
    keys = api.get(PUBLIC_KEYS)
    assert keys.status_code == 200 and set(keys.json()) == {"keys"}


def test_an_expired_key_is_a_403(api, documented, company):
    key = factories.primary_key_make(_subscription(company, days_from=-400, days_to=-1))
    before = snapshot()
    response = post(api, ACTIVATE, {"message": now_proxy().activation(key.key, now=timezone.now())})
    refused_as_documented(documented, response, ACTIVATE, 403, "key_expired", before)


def test_a_key_active_elsewhere_is_a_409(api, documented, primary_key):
    now = timezone.now()
    open_answer(
        post(api, ACTIVATE, {"message": now_proxy().activation(primary_key.key, now=now)}),
        "activation_response",
    )
    before = snapshot()
    response = post(api, ACTIVATE, {"message": now_proxy().activation(primary_key.key, now=now)})
    refused_as_documented(documented, response, ACTIVATE, 409, "key_in_use", before)


def test_an_expired_message_is_a_400(api, documented, primary_key):
    stale = now_proxy().activation(primary_key.key, now=timezone.now() - timedelta(hours=1))
    before = snapshot()
    response = post(api, ACTIVATE, {"message": stale})
    refused_as_documented(documented, response, ACTIVATE, 400, "expired", before)


def test_a_throttled_request_is_a_429_with_retry_after(api, documented, settings, primary_key):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"licensing_ip": "100/min", "licensing_key": "1/min"},
    }
    proxy, now = now_proxy(), timezone.now()
    open_answer(
        post(api, ACTIVATE, {"message": proxy.activation(primary_key.key, now=now)}),
        "activation_response",
    )
    # The installation's first request of the window goes through; the rest wait.
    assert post(api, USAGE, {"message": proxy.usage(1, now=now)}).status_code == 200
    for path, text in (
        (USAGE, proxy.usage(2, now=now)),
        (REFRESH, proxy.refresh(now=now)),
        (DEACTIVATE, proxy.deactivation(now=now)),
    ):
        before = snapshot()
        response = post(api, path, {"message": text})
        refused_as_documented(documented, response, path, 429, "throttled", before)
        assert 0 < int(response["Retry-After"]) <= 60


def test_a_format_this_api_lacks_is_not_found(api, documented):
    response = api.get(PUBLIC_KEYS + "?format=api")
    assert response.status_code == 404
    assert "404" in documented[(PUBLIC_KEYS, "get")]
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/*"])
def test_a_client_that_takes_json_gets_json(api, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = api.get(PUBLIC_KEYS, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert [key["algorithm"] for key in json.loads(response.content)["keys"]] == ["Ed25519"]


@pytest.mark.parametrize("accept", ["text/html", "application/xml, text/plain"])
def test_a_client_that_takes_no_json_is_answered_not_acceptable(api, accept):
    before = snapshot()
    response = post(api, ACTIVATE, {"message": "x"}, HTTP_ACCEPT=accept)

    assert response.status_code == 406
    assert error_of(response)["code"] == "not_acceptable"
    assert snapshot() == before


# --- refresh, usage report and deactivation open alike -----------------------------------


@pytest.fixture
def offline_installation(company, alice):
    """An installation activated offline (its file uploaded by alice)."""
    key = factories.primary_key_make(
        _subscription(company, days_from=-30, days_to=335, offline=True)
    )
    proxy, now = now_proxy(), timezone.now()
    services.license_activate(
        proxy.activation(key.key, method="offline", now=now),
        channel=services.OFFLINE,
        actor=alice,
        account=company,
        now=now,
    )
    return proxy


def test_an_installation_activated_offline_is_refused_online_by_all_three(
    api, offline_installation
):
    proxy, now = offline_installation, timezone.now()
    for path, text in (
        (USAGE, proxy.usage(3, now=now)),
        (REFRESH, proxy.refresh(now=now)),
        (DEACTIVATE, proxy.deactivation(now=now)),
    ):
        before = snapshot()
        response = post(api, path, {"message": text})
        assert response.status_code == 409, (path, response.content)
        assert error_of(response)["code"] == "wrong_channel"
        assert snapshot() == before


def test_the_channel_is_checked_before_the_installation_is_found_deactivated(
    api, offline_installation
):
    # The same order for all three: a deactivated installation of the other channel
    # hears of its channel first.
    ProxyServer.objects.update(status=ProxyServer.Status.DEACTIVATED)
    proxy, now = offline_installation, timezone.now()
    for path, text in (
        (USAGE, proxy.usage(3, now=now)),
        (REFRESH, proxy.refresh(now=now)),
        (DEACTIVATE, proxy.deactivation(now=now)),
    ):
        response = post(api, path, {"message": text})
        assert (response.status_code, error_of(response)["code"]) == (409, "wrong_channel"), path


def test_a_usage_report_made_for_the_offline_channel_is_refused_online(api, primary_key):
    proxy, now = now_proxy(), timezone.now()
    open_answer(
        post(api, ACTIVATE, {"message": proxy.activation(primary_key.key, now=now)}),
        "activation_response",
    )
    payload = {
        "installation_id": proxy.installation_id,
        "method": "offline",
        "registered_computers": 3,
        "peak": 3,
        "date": timezone.localdate().isoformat(),
    }
    before = snapshot()
    response = post(api, USAGE, {"message": proxy.seal("usage_report", payload, now=now)})
    assert response.status_code == 409, response.content
    assert error_of(response)["code"] == "wrong_channel"
    assert snapshot() == before
