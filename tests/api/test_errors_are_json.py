"""Every answer under /api/ is JSON in the APIs' error shape ({"error": {"code",
"message"}}), also where no API view is reached: a path that resolves to nothing, a
body too large to read or nested too deep to parse, a crash. Never an HTML page."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import include, path

from accounts.models import Invitation
from myaccount.urls import handler400, handler403, handler404, handler500  # noqa: F401
from tests.api.conftest import base

pytestmark = pytest.mark.django_db

ACTIVATE = "/api/licensing/activate/"
DEEP = "[" * 5000 + "]" * 5000
TOO_LARGE = json.dumps({"message": "x" * (2_621_440 + 1)})


def _boom(request):
    raise RuntimeError("the database fell over")


# The whole project (and its error handlers) plus one API view that breaks (for the 500).
urlpatterns = [
    path("api/v1/boom/", _boom),
    path("", include("myaccount.urls")),
]


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]


@pytest.fixture
def api() -> Client:
    return Client(enforce_csrf_checks=True)


def test_a_body_nested_too_deep_is_a_400_on_the_licensing_api(api):
    response = api.post(ACTIVATE, DEEP, content_type="application/json")

    assert error_of(response, 400)["code"] == "parse_error"


def test_a_body_nested_too_deep_is_a_400_on_the_rest_api(alice_api, company):
    response = alice_api.post(
        f"{base(company)}/invitations/", DEEP, content_type="application/json"
    )

    assert error_of(response, 400)["code"] == "parse_error"
    assert not Invitation.objects.exists()


def test_a_body_too_large_is_a_413_on_the_licensing_api(api):
    response = api.post(ACTIVATE, TOO_LARGE, content_type="application/json")

    assert error_of(response, 413)["code"] == "request_too_large"


def test_a_body_too_large_is_a_413_on_the_rest_api(alice_api, company):
    body = json.dumps({"emails": ["x" * 2_700_000 + "@example.com"]})
    response = alice_api.post(
        f"{base(company)}/invitations/", body, content_type="application/json"
    )

    assert error_of(response, 413)["code"] == "request_too_large"
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/accounts/%0A/",
        "/api/v1/accounts/1/members/2%0A/",
        "/api/v1/no-such-thing/",
        "/api/v1/accounts/-1/",
        "/api/licensing/no-such-thing/",
        "/api/licensing/activate/%0A",
    ],
)
def test_a_path_that_is_not_there_is_a_json_404(alice_api, url):
    for response in (alice_api.get(url), alice_api.post(url, {}, format="json")):
        assert error_of(response, 404) == {
            "code": "not_found",
            "message": "No such API endpoint or object.",
        }


@pytest.mark.urls(__name__)
def test_a_crash_is_a_json_500(db):
    response = Client(raise_request_exception=False).get("/api/v1/boom/")

    assert error_of(response, 500)["code"] == "server_error"


def test_the_site_keeps_its_own_error_pages(alice_client):
    response = alice_client.get("/no-such-page/")

    assert response.status_code == 404
    assert "We could not find this page" in response.content.decode()


def test_the_document_names_the_413_of_every_body(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    assert "413" in paths["/api/licensing/activate/"]["post"]["responses"]
    invitations = "/api/v1/accounts/{account_id}/invitations/"
    assert "413" in paths[invitations]["post"]["responses"]
