"""The licensing API runs without the browser's middleware (myaccount/middleware.py):
no session, user or account is read for it, and its answers keep the security headers."""

from __future__ import annotations

import pytest

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


def test_an_unknown_licensing_path_is_a_plain_not_found(client):
    response = client.get("/api/licensing/nothing-here/")
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"


def test_pages_still_know_the_signed_in_user_and_their_account(alice_client, alice):
    response = alice_client.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user == alice
    assert response.wsgi_request.account.name == "My Company, Inc."
