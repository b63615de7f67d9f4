"""The licensing REST API: signed messages in and out, JSON errors, throttling, schema."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from licensing import signing
from licensing.client import envelope
from proxies.models import ProxyServer
from tests.licensing import factories
from tests.licensing.test_licensing_services import snapshot

pytestmark = pytest.mark.django_db

ACTIVATE = "/api/licensing/activate/"


@pytest.fixture
def primary_key(company):
    # Requests here carry the real time, so the subscription runs around today.
    today = timezone.localdate()
    subscription = factories.subscription_make(
        company, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=335)
    )
    return factories.primary_key_make(subscription)


@pytest.fixture
def api() -> Client:
    # The proxy has no session and no CSRF token: the signature is the authentication.
    return Client(enforce_csrf_checks=True)


def post(api: Client, url: str, body, content_type: str = "application/json", **extra):
    data = json.dumps(body) if not isinstance(body, str | bytes) else body
    return api.post(url, data=data, content_type=content_type, **extra)


def now_proxy(**kwargs) -> factories.Installation:
    return factories.Installation(**kwargs)


def open_answer(response, expected: str) -> envelope.Message:
    assert response.status_code == 200, response.content
    return envelope.open_envelope(
        response.json()["message"], expected_types=expected, public_keys=signing.public_keys()
    )


def test_the_whole_online_lifecycle(api, primary_key):
    proxy = now_proxy()
    now = timezone.now()
    text = proxy.activation(primary_key.key, now=now)
    answer = open_answer(post(api, ACTIVATE, {"message": text}), "activation_response")
    assert answer.payload["request_nonce"] == envelope.peek(text).nonce
    assert answer.payload["installation_id"] == proxy.installation_id

    usage = proxy.usage(6, now=now)
    answer = open_answer(post(api, "/api/licensing/usage/", {"message": usage}), "usage_response")
    assert answer.payload["over_limit"] is True

    refresh = proxy.refresh(now=now)
    answer = open_answer(
        post(api, "/api/licensing/refresh/", {"message": refresh}), "refresh_response"
    )
    assert (answer.payload["used"], answer.payload["licenses"]) == (6, 5)

    deactivation = proxy.deactivation(now=now)
    answer = open_answer(
        post(api, "/api/licensing/deactivate/", {"message": deactivation}),
        "deactivation_response",
    )
    assert answer.payload["status"] == "deactivated"
    assert ProxyServer.objects.get().status == "deactivated"


def test_each_request_is_parsed_once_then_verified(api, primary_key, monkeypatch):
    # The throttle reads the key from the unverified parse; the service verifies that
    # same parse instead of parsing the text again.
    parses = []
    decode = envelope.decode
    monkeypatch.setattr(envelope, "decode", lambda text: parses.append(text) or decode(text))
    text = now_proxy().activation(primary_key.key, now=timezone.now())
    response = post(api, ACTIVATE, {"message": text})
    assert parses == [text]
    open_answer(response, "activation_response")


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    return body["error"]


def test_refusals_are_json_with_a_status_that_fits(api, primary_key):
    now = timezone.now()
    first, second = now_proxy(), now_proxy()
    assert (
        post(api, ACTIVATE, {"message": first.activation(primary_key.key, now=now)}).status_code
        == 200
    )

    response = post(api, ACTIVATE, {"message": second.activation(primary_key.key, now=now)})
    assert response.status_code == 409
    assert error_of(response)["code"] == "key_in_use"

    unknown = second.activation("ABCDE-ABCDE-ABCDE-ABCDE-ABCDE", now=now)
    response = post(api, ACTIVATE, {"message": unknown})
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "invalid_key",
        "message": "This license key is not valid or not registered.",
    }

    response = post(api, "/api/licensing/refresh/", {"message": second.refresh(now=now)})
    assert (response.status_code, error_of(response)["code"]) == (404, "unknown_installation")


def test_a_request_posted_twice_is_refused_the_second_time(api, primary_key):
    proxy = now_proxy()
    now = timezone.now()
    activation = proxy.activation(primary_key.key, now=now)
    open_answer(post(api, ACTIVATE, {"message": activation}), "activation_response")
    requests = [
        ("/api/licensing/usage/", proxy.usage(3, now=now)),
        ("/api/licensing/refresh/", proxy.refresh(now=now)),
        ("/api/licensing/deactivate/", proxy.deactivation(now=now)),
    ]
    for url, text in requests:
        assert post(api, url, {"message": text}).status_code == 200, url
        before = snapshot()
        response = post(api, url, {"message": text})
        assert response.status_code == 409, url
        assert error_of(response) == {
            "code": "replayed",
            "message": "This request was already processed: each request or file is "
            "accepted only once. Create a new one.",
        }
        assert snapshot() == before, url


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("", "application/json", 400, "invalid_request"),
        ("{not json", "application/json", 400, "parse_error"),
        ({}, "application/json", 400, "invalid_request"),
        ({"message": 42}, "application/json", 400, "invalid_request"),
        ({"message": ["x"]}, "application/json", 400, "invalid_request"),
        ([1, 2], "application/json", 400, "invalid_request"),
        ({"message": "hello"}, "application/json", 400, "not_an_envelope"),
        ('{"message": "hello \\ud800"}', "application/json", 400, "invalid_request"),
        ("message=hello", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_bad_input_answers_a_json_error_never_500(api, body, content_type, status, code):
    response = post(api, ACTIVATE, body, content_type=content_type)
    assert response.status_code == status, response.content
    assert error_of(response)["code"] == code


def test_a_get_on_a_post_endpoint_is_a_json_405(api):
    response = api.get(ACTIVATE)
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=8,
        ).map(json.dumps),
        st.dictionaries(st.just("message"), st.text(max_size=300)).map(json.dumps),
    )
)
def test_no_body_makes_it_fail(api, body):
    for url in (ACTIVATE, "/api/licensing/refresh/", "/api/licensing/usage/"):
        response = post(api, url, body)
        assert 400 <= response.status_code < 500, (body, response.content)
        error_of(response)


def test_the_public_keys_are_published(api, settings, tmp_path):
    old = envelope.generate_private_key()
    path = tmp_path / "old.pem"
    path.write_text(envelope.private_key_pem(old))
    settings.LICENSING_SIGNING_KEYS = f"old={path},new=" + (
        envelope.private_key_pem(envelope.generate_private_key()).replace("\n", "\\n")
    )
    response = api.get("/api/licensing/public-keys/")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert [k["kid"] for k in keys] == ["old", "new"]
    assert {k["algorithm"] for k in keys} == {"Ed25519"}
    assert envelope.load_public_key_pem(keys[0]["public_key"]).public_bytes_raw() == (
        old.public_key().public_bytes_raw()
    )


def test_it_throttles_per_client_address_with_retry_after(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"licensing_ip": "3/min", "licensing_key": "100/min"},
    }
    for _ in range(3):
        assert post(api, ACTIVATE, {"message": "hello"}).status_code == 400
    response = post(api, ACTIVATE, {"message": "hello"})
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    # Another address is not held back.
    assert post(api, ACTIVATE, {"message": "hello"}, REMOTE_ADDR="10.0.0.9").status_code == 400


def test_it_throttles_per_license_key_and_installation(api, settings, primary_key):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"licensing_ip": "100/min", "licensing_key": "2/min"},
    }
    now = timezone.now()
    proxies = [now_proxy() for _ in range(2)]
    # One installation hammering a key is held back, from whatever address...
    codes = [
        post(
            api,
            ACTIVATE,
            {"message": proxies[1].activation(primary_key.key, now=now)},
            REMOTE_ADDR=f"10.0.0.{i}",
        ).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]
    # ...but its flood does not lock another installation out of the same key: junk
    # signed with one's own key fills one's own bucket.
    ProxyServer.objects.update(status=ProxyServer.Status.DEACTIVATED)
    response = post(api, ACTIVATE, {"message": proxies[0].activation(primary_key.key, now=now)})
    assert response.status_code == 200
    # Requests of an installation count on their own, from any address.
    first = proxies[0]
    statuses = [
        post(
            api,
            "/api/licensing/refresh/",
            {"message": first.refresh(now=now)},
            REMOTE_ADDR=f"10.1.0.{i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_the_schema_documents_the_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for name in ("activate", "refresh", "usage", "deactivate"):
        operation = paths[f"/api/licensing/{name}/"]["post"]
        assert set(operation["responses"]) >= {"200", "400", "409", "429"}
        assert "requestBody" in operation
    assert "get" in paths["/api/licensing/public-keys/"]
    assert "Error" in schema["components"]["schemas"]
