"""Personal API tokens: created and named on the API Tokens page, shown once, stored
hashed, revoked; only Account Administrators of a business account create them."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from accounts.models import User
from api.models import ApiToken
from tests.api.conftest import api_client, base
from tests.conftest import recently_authenticated

pytestmark = pytest.mark.django_db


def _create(client, name="Inventory script"):
    user_id = client.session.get("_auth_user_id")
    if user_id:
        recently_authenticated(client, User.objects.get(pk=user_id))
    return client.post(reverse("api_tokens"), {"name": name})


def _secret(page: str) -> str | None:
    found = re.search(r'id="api-token-secret"[^>]*value="([^"]+)"', page)
    return found.group(1) if found else None


def test_security_settings_links_to_the_page(alice_client):
    page = alice_client.get(reverse("security_settings")).content.decode()
    assert f'href="{reverse("api_tokens")}"' in page


def test_the_secret_is_shown_once_and_stored_hashed(alice_client, alice, company):
    response = _create(alice_client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    page = response.content.decode()
    secret = _secret(page)
    assert secret and "not be shown again" in page
    # Nowhere else: not in the session store either.
    assert secret not in str(dict(alice_client.session))
    token = ApiToken.objects.get(user=alice)
    assert token.name == "Inventory script"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8] and f"{token.prefix}…" in page
    assert not ApiToken.objects.filter(token_hash=secret).exists()
    assert secret not in str(ApiToken.objects.values().get())
    # Reloading the page never shows it again.
    again = alice_client.get(reverse("api_tokens")).content.decode()
    assert _secret(again) is None and secret not in again


def test_the_new_token_works_and_records_its_use(alice_client, alice, company):
    secret = _secret(_create(alice_client).content.decode())
    response = api_client(secret).get("/api/v1/accounts/")
    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == company.pk
    assert ApiToken.objects.get(user=alice).last_used_at is not None


def test_a_revoked_token_stops_working(alice_client, alice, company):
    secret = _secret(_create(alice_client).content.decode())
    token = ApiToken.objects.get(user=alice)
    response = alice_client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = api_client(secret).get(f"{base(company)}/subscriptions/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")
    page = alice_client.get(reverse("api_tokens")).content.decode()
    assert "Revoked" in page


def test_nobody_revokes_another_persons_token(alice_client, alice, bob_client):
    _create(alice_client)
    token = ApiToken.objects.get(user=alice)
    assert bob_client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("who", ["bob_client", "dave_client", "charlie_client"])
def test_only_business_account_admins_create_tokens(request, who, charlie):
    client = request.getfixturevalue(who)
    page = client.get(reverse("api_tokens")).content.decode()
    if who == "charlie_client":  # charlie administers Other Corp
        assert 'name="name"' in page
        return
    assert "Only an Account Administrator" in page and 'name="name"' not in page
    assert _create(client).status_code == 403
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_name(alice_client):
    response = _create(alice_client, name="   ")
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_anonymous_people_are_sent_to_sign_in(client):
    assert client.get(reverse("api_tokens")).status_code == 302
    assert not ApiToken.objects.exists()


def test_creating_a_token_asks_for_the_password_again(alice_client, alice):
    # Signed in long ago (no recent authentication in the session): allauth steps in.
    response = alice_client.post(reverse("api_tokens"), {"name": "Inventory script"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not ApiToken.objects.exists()
    # With the password confirmed, the suspended form goes through.
    reauthenticate = response["Location"]
    response = alice_client.post(
        reauthenticate, {"password": "correct-horse-battery-staple"}, follow=True
    )
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=alice, name="Inventory script").exists()
