"""/api/ answers JSON for the statuses Django produced there in other formats, and its
cursors fit the OpenAPI document and gunicorn's request line (issue 24, item 7)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import Invitation
from api.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN
from tests import factories
from tests.api.conftest import base
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def test_a_post_without_its_trailing_slash_is_a_json_308_that_keeps_the_method(alice_api, company):
    url = f"{base(company)}/invitations"
    response = alice_api.post(url, {"emails": ["new@example.com"]}, format="json")

    assert error_of(response, 308)["code"] == "trailing_slash"
    assert response["Location"] == f"{url}/"
    assert not Invitation.objects.exists()
    # Followed as RFC 9110 says (same method, same body), it does what was meant.
    followed = alice_api.post(response["Location"], {"emails": ["new@example.com"]}, format="json")
    assert followed.status_code == 201
    assert Invitation.objects.filter(email="new@example.com").exists()


def test_the_licensing_api_without_its_slash_answers_json_too():
    response = Client().post("/api/licensing/activate", {}, content_type="application/json")

    assert error_of(response, 308)["code"] == "trailing_slash"
    assert response["Location"] == "/api/licensing/activate/"


def test_the_site_keeps_its_own_slash_redirect(client):
    response = client.get("/accounts/login")

    assert response.status_code == 301
    assert response["Location"] == "/accounts/login/"


def test_a_method_the_schema_view_does_not_take_is_a_json_405(client):
    response = client.post("/api/schema/")

    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_cursors_stay_within_the_documented_length_and_page_through_long_values(alice_api, company):
    """Sorted by notes (2,000 characters that compress badly, alike for their first
    1,900), every cursor fits the document and each server comes exactly once."""
    key = factories.subscription_create(company, licenses=10).primary_key
    common = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(1900))
    servers = []
    for n in range(5):
        server = proxy_server_create(key, computers=1, status="deactivated")
        server.notes = common + f"{n:03}" + "x" * 97
        server.save(update_fields=["notes"])
        servers.append(server.pk)

    url = f"{base(company)}/proxy-servers/?sort=notes&page_size=1&status=all"
    seen, cursors = [], []
    while url:
        page = alice_api.get(url)
        assert page.status_code == 200, page.content
        seen += [row["id"] for row in page.json()["results"]]
        url = page.json()["next"]
        if url:
            cursor = re.search(r"cursor=([^&]+)", url).group(1).replace("%3A", ":")
            cursors.append(cursor)

    assert sorted(seen) == sorted(servers) and len(seen) == len(set(seen))
    assert cursors and all(len(c) <= CURSOR_MAX_LENGTH for c in cursors)
    assert all(re.fullmatch(CURSOR_PATTERN, c) for c in cursors)


def test_the_document_says_what_a_cursor_is(client):
    schema = client.get("/api/schema/?format=json").json()
    cursors = [
        parameter["schema"]
        for operation in schema["paths"].values()
        for method in operation.values()
        for parameter in method.get("parameters", [])
        if parameter["name"] == "cursor"
    ]
    assert cursors, schema["paths"]
    for cursor in cursors:
        assert cursor["maxLength"] == CURSOR_MAX_LENGTH
        assert cursor["pattern"] == CURSOR_PATTERN


def test_a_nul_in_search_is_refused_as_the_document_says(alice_api, company, client):
    response = alice_api.get(f"{base(company)}/subscriptions/?search=a%00b")

    assert error_of(response, 400)["fields"]["search"] == ["Null characters are not allowed."]
    schema = client.get("/api/schema/?format=json").json()
    searches = [
        parameter["schema"]
        for operation in schema["paths"].values()
        for method in operation.values()
        for parameter in method.get("parameters", [])
        if parameter["name"] == "search"
    ]
    assert searches
    for search in searches:
        [pattern] = [s["pattern"] for s in search.get("oneOf", [search]) if "pattern" in s]
        assert re.fullmatch(pattern, "a\x00b") is None and re.fullmatch(pattern, "ab")
