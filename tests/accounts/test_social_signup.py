"""Sign up with Google through allauth's real provider flow, with Google's answers
served by an in-process transport: no network."""

import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import Account, Membership, User

GOOGLE_USER = {
    "id": "108204268033311374519",
    "email": "grace@example.com",
    "verified_email": True,
    "name": "Grace Hopper",
    "given_name": "Grace",
    "family_name": "Hopper",
}


class FakeGoogle(requests.adapters.BaseAdapter):
    """Answers the token and userinfo endpoints the way Google does."""

    def send(self, request, **kwargs):
        response = requests.Response()
        response.request = request
        response.url = request.url
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        if request.url.startswith("https://oauth2.googleapis.com/token"):
            body = {"access_token": "ya29.fake", "expires_in": 3599, "token_type": "Bearer"}
        elif request.url.startswith("https://www.googleapis.com/oauth2/v2/userinfo"):
            assert request.headers["Authorization"] == "Bearer ya29.fake"
            body = GOOGLE_USER
        else:
            raise AssertionError(f"unexpected request to {request.url}")
        response._content = json.dumps(body).encode()
        return response

    def close(self):
        pass


@pytest.fixture
def google(db, settings, monkeypatch):
    providers = dict(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"] = {
        **providers["google"],
        "APPS": [{"client_id": "client-id", "secret": "client-secret", "key": ""}],
    }
    settings.SOCIALACCOUNT_PROVIDERS = providers

    def session(self):
        s = requests.Session()
        s.mount("https://", FakeGoogle())
        return s

    monkeypatch.setattr(DefaultSocialAccountAdapter, "get_requests_session", session)


def test_the_google_button_appears_only_when_configured(client, db, settings):
    assert "Google" not in client.get(reverse("account_signup")).content.decode()


def test_the_google_button_shows_when_configured(client, google):
    page = client.get(reverse("account_signup")).content.decode()
    assert "or sign up with" in page
    assert "Google" in page


def test_sign_up_with_google_creates_the_user_and_personal_account(client, google):
    start = client.post("/accounts/google/login/")
    assert start.status_code == 302
    authorize = urlparse(start["Location"])
    assert authorize.netloc == "accounts.google.com"
    state = parse_qs(authorize.query)["state"][0]

    callback = client.get("/accounts/google/login/callback/", {"code": "4/abc", "state": state})
    assert callback.status_code == 302
    assert callback["Location"] == reverse("dashboard")

    user = User.objects.get(email="grace@example.com")
    assert (user.first_name, user.last_name) == ("Grace", "Hopper")
    assert client.session[SESSION_KEY] == str(user.pk)
    membership = Membership.objects.get(user=user)
    assert membership.account.kind == Account.Kind.PERSONAL


def test_a_forged_state_signs_nobody_in(client, google):
    client.post("/accounts/google/login/")
    response = client.get("/accounts/google/login/callback/", {"code": "4/abc", "state": "forged"})
    assert response.status_code == 401
    assert SESSION_KEY not in client.session
    assert not User.objects.filter(email="grace@example.com").exists()
