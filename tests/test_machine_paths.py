"""The licensing API runs through the site's one middleware stack: a proxy's call (no
cookie) reads no session, user or account, and its answers keep the security headers."""

from __future__ import annotations

import pytest
from django.test import Client

PUBLIC_KEYS = "/api/licensing/public-keys/"

pytestmark = pytest.mark.django_db


def test_a_proxys_call_reads_nothing_from_the_database_for_the_browser(
    client, django_assert_num_queries
):
    # No cookie: the session, the user and the current account stay unread.
    with django_assert_num_queries(0):
        response = client.get(PUBLIC_KEYS)
    assert response.status_code == 200
    assert not response.cookies


def test_the_licensing_api_answers_keep_the_security_headers(client):
    response = client.get(PUBLIC_KEYS)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" in response


def test_the_licensing_api_still_checks_the_host(client):
    assert client.get(PUBLIC_KEYS, HTTP_HOST="evil.example").status_code == 400


def test_the_licensing_api_still_redirects_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(PUBLIC_KEYS)
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/licensing/public-keys/"


def test_an_unknown_licensing_path_is_a_plain_not_found(client):
    response = client.get("/api/licensing/nothing-here/")
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"


def test_a_licensing_path_without_its_slash_is_redirected_in_json(client):
    # 308 keeps the method and the body (a proxy's POST stays a POST), and under /api/
    # every answer is JSON.
    response = client.get(PUBLIC_KEYS.rstrip("/"))
    assert response.status_code == 308
    assert response["Location"] == PUBLIC_KEYS
    assert response.json()["error"]["code"] == "trailing_slash"


def test_pages_still_know_the_signed_in_user_and_their_account(alice_client, alice):
    response = alice_client.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user == alice
    assert response.wsgi_request.account.name == "My Company, Inc."


def test_the_licensing_api_answers_its_message_in_the_callers_language(client):
    def refused(language: str) -> dict:
        response = client.post(
            "/api/licensing/activate/",
            data=b"{}",
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 400
        return response.json()

    english, german = refused("en"), refused("de")
    assert english["error"]["code"] == german["error"]["code"]
    assert english["error"]["message"] != german["error"]["message"]
