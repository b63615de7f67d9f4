"""The licensing API runs without the browser's middleware (myaccount/machine.py,
myaccount/middleware.py): no session, user or account is read for it, and its answers
keep the security headers."""

from __future__ import annotations

import pytest
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client
from whitenoise.middleware import WhiteNoiseMiddleware

PUBLIC_KEYS = "/api/licensing/public-keys/"

pytestmark = pytest.mark.django_db


def test_the_licensing_api_reads_no_session_even_when_a_cookie_comes_along(
    alice_client, django_assert_num_queries
):
    # A signed-in browser's cookie would make the browser stack read the session, the
    # user and the memberships; the licensing API does not look at them.
    with django_assert_num_queries(0):
        response = alice_client.get(PUBLIC_KEYS)
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_the_licensing_api_answers_keep_the_security_headers(client):
    response = client.get(PUBLIC_KEYS)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" in response


def test_the_licensing_api_takes_the_lean_chain(client, monkeypatch):
    def not_here(*args, **kwargs):
        raise AssertionError("the licensing API ran the browser's middleware")

    monkeypatch.setattr(CsrfViewMiddleware, "process_request", not_here)
    monkeypatch.setattr(WhiteNoiseMiddleware, "__call__", not_here)
    assert client.get(PUBLIC_KEYS).status_code == 200


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


def test_a_licensing_path_without_its_slash_is_redirected_as_before(client):
    # Not in the licensing URLconf: the whole stack answers (CommonMiddleware's slash).
    response = client.get(PUBLIC_KEYS.rstrip("/"))
    assert response.status_code == 301
    assert response["Location"] == PUBLIC_KEYS


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
