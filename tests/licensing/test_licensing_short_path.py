"""The licensing views' short path (licensing/api.py): what every proxy sends is answered
without DRF around it, with the very answer DRF's path gives; anything else still goes
through DRF. A query string sends a request down DRF's path, which makes the two
comparable here."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.views import APIView

from tests.licensing import factories
from tests.licensing.test_licensing_api import ACTIVATE, now_proxy, open_answer

pytestmark = pytest.mark.django_db
PUBLIC_KEYS = "/api/licensing/public-keys/"
HEADERS = (
    "Content-Type",
    "Allow",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Content-Security-Policy",
    "Content-Language",
    "Vary",
)


@pytest.fixture
def primary_key(company):
    today = timezone.localdate()
    subscription = factories.subscription_make(
        company, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=335)
    )
    return factories.primary_key_make(subscription)


@pytest.fixture
def api() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def drf_dispatches(monkeypatch) -> list[str]:
    """The paths DRF's own dispatch answered."""
    seen: list[str] = []
    dispatch = APIView.dispatch

    def spy(self, request, *args, **kwargs):
        seen.append(request.path)
        return dispatch(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "dispatch", spy)
    return seen


def headers(response) -> dict[str, str | None]:
    return {name: response.get(name) for name in HEADERS}


def post(api: Client, url: str, body: dict, **extra):
    return api.post(url, data=json.dumps(body), content_type="application/json", **extra)


def test_the_public_keys_answer_as_drf_answers_them(api, drf_dispatches):
    short = api.get(PUBLIC_KEYS, HTTP_ACCEPT="application/json")
    assert drf_dispatches == []
    drf = api.get(PUBLIC_KEYS + "?via=drf", HTTP_ACCEPT="application/json")
    assert drf_dispatches == [PUBLIC_KEYS]
    assert (short.status_code, short.content, headers(short)) == (
        drf.status_code,
        drf.content,
        headers(drf),
    )


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_refusal_reads_as_drf_words_it(api, drf_dispatches, language):
    text = now_proxy().activation("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", now=timezone.now())
    short = post(api, ACTIVATE, {"message": text}, HTTP_ACCEPT_LANGUAGE=language)
    drf = post(api, ACTIVATE + "?via=drf", {"message": text}, HTTP_ACCEPT_LANGUAGE=language)
    assert drf_dispatches == [ACTIVATE]
    assert short.status_code == drf.status_code == 404
    assert short.content == drf.content
    assert headers(short) == headers(drf)


def test_an_activation_takes_the_short_path(api, primary_key, drf_dispatches):
    text = now_proxy().activation(primary_key.key, now=timezone.now())
    response = post(api, ACTIVATE, {"message": text})
    assert open_answer(response, "activation_response").payload["license_key"] == primary_key.key
    assert drf_dispatches == []
    assert response["Allow"] == "POST, OPTIONS"
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        ({"message": ""}, {}),  # blank: the serializer's words
        ({"message": 5}, {}),  # not text
        ({"message": "x\u00e9"}, {}),  # not ASCII: DRF's surrogate check
        ({"nothing": "here"}, {}),
        ({"message": "x"}, {"HTTP_ACCEPT": "text/html"}),  # DRF negotiates: 406
    ],
)
def test_what_the_short_path_does_not_take_drf_answers(api, drf_dispatches, body, extra):
    response = post(api, ACTIVATE, body, **extra)
    assert drf_dispatches == [ACTIVATE]
    assert response.status_code in (400, 406)
    assert "error" in response.json() or response.status_code == 406


def test_a_throttled_request_is_counted_once_and_answered_by_drf(api, settings, drf_dispatches):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"licensing_ip": "2/min", "licensing_key": "100/min"},
    }
    assert [api.get(PUBLIC_KEYS).status_code for _ in range(2)] == [200, 200]
    refused = api.get(PUBLIC_KEYS)
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert refused.json()["error"]["code"] == "throttled"
    assert drf_dispatches == [PUBLIC_KEYS]
