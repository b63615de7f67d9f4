"""Steps 2 and 3: alice connects her company's OpenID provider (a real one, in a second
process) and names the group whose members administer the account."""

from __future__ import annotations

import socket

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from accounts.models import AuditLog
from sso.models import SsoConfig
from tests.sso.conftest import IDP_ADMINS, IDP_CLIENT_ID, IDP_CLIENT_SECRET

pytestmark = pytest.mark.django_db
PAGE = "/account/business/sso/"


def _save(client, issuer, client_id=IDP_CLIENT_ID, secret=IDP_CLIENT_SECRET):
    return client.post(
        reverse("sso_idp_save"),
        {"issuer": issuer, "client_id": client_id, "client_secret": secret},
    )


def _snapshot():
    return (
        list(SocialApp.objects.values()),
        list(SsoConfig.objects.values()),
        AuditLog.objects.count(),
    )


def test_connecting_the_idp_makes_one_allauth_app_for_the_account(
    alice_client, alice, company, oidc_provider
):
    response = _save(alice_client, oidc_provider.issuer + "/")
    assert response.status_code == 302
    app = SocialApp.objects.get()
    assert (app.provider, app.provider_id) == ("openid_connect", f"sso-{company.pk}")
    assert (app.client_id, app.secret) == (IDP_CLIENT_ID, IDP_CLIENT_SECRET)
    assert app.settings == {"server_url": oidc_provider.issuer, "hidden": True}
    assert SsoConfig.objects.get(account=company).social_app == app
    page = alice_client.get(PAGE)
    steps = {s.key: s for s in page.context["steps"]}
    assert steps["idp"].done
    body = page.content.decode()
    assert f"/accounts/oidc/sso-{company.pk}/login/callback/" in body  # the redirect URI
    assert IDP_CLIENT_SECRET not in body
    entry = AuditLog.objects.get(action="sso.idp_saved")
    assert entry.actor == alice and IDP_CLIENT_SECRET not in str(entry.data)


def test_the_app_is_not_a_social_button_on_the_sign_in_page(client, alice_client, oidc_provider):
    _save(alice_client, oidc_provider.issuer)
    assert "/accounts/oidc/" not in client.get(reverse("account_login")).content.decode()


def test_a_blank_secret_keeps_the_saved_one(alice_client, oidc_provider):
    _save(alice_client, oidc_provider.issuer)
    _save(alice_client, oidc_provider.issuer, client_id="renamed", secret="")
    app = SocialApp.objects.get()
    assert (app.client_id, app.secret) == ("renamed", IDP_CLIENT_SECRET)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "issuer",
    [
        "",
        "not a url",
        "ftp://idp.example",
        "http://idp.example",  # plain http only on loopback
        "https://idp.example/?x=1",
    ],
)
def test_a_bad_issuer_is_refused_and_changes_nothing(alice_client, issuer):
    before = _snapshot()
    response = _save(alice_client, issuer)
    assert response.status_code == 200
    assert response.context["idp_form"].errors
    assert _snapshot() == before


def test_an_issuer_that_does_not_answer_or_is_no_provider_is_refused(alice_client, oidc_provider):
    before = _snapshot()
    response = _save(alice_client, f"http://127.0.0.1:{_closed_port()}")
    assert "could not be read" in response.content.decode()
    # A server that answers, but is no OpenID provider at this address.
    response = _save(alice_client, oidc_provider.issuer + "/accounts")
    assert "could not be read" in response.content.decode()
    assert _snapshot() == before


def test_a_first_connection_needs_a_secret(alice_client, oidc_provider):
    before = _snapshot()
    response = _save(alice_client, oidc_provider.issuer, secret="")
    assert response.context["idp_form"].errors["client_secret"]
    assert _snapshot() == before


def test_a_regular_member_cannot_connect_or_change_roles(bob_client, oidc_provider):
    before = _snapshot()
    assert _save(bob_client, oidc_provider.issuer).status_code == 403
    response = bob_client.post(
        reverse("sso_roles_save"), {"admin_claim": "groups", "admin_group": "x"}
    )
    assert response.status_code == 403
    assert _snapshot() == before


def test_the_roles_step_names_the_administrators_group(alice_client, alice, company):
    response = alice_client.post(
        reverse("sso_roles_save"), {"admin_claim": "groups", "admin_group": f" {IDP_ADMINS} "}
    )
    assert response.status_code == 302
    config = SsoConfig.objects.get(account=company)
    assert (config.admin_claim, config.admin_group) == ("groups", IDP_ADMINS)
    steps = {s.key: s for s in alice_client.get(PAGE).context["steps"]}
    assert steps["roles"].done
    assert AuditLog.objects.filter(action="sso.roles_saved", actor=alice).count() == 1


def test_roles_without_a_group_change_nothing(alice_client):
    before = _snapshot()
    response = alice_client.post(reverse("sso_roles_save"), {"admin_claim": "groups"})
    assert response.status_code == 200
    assert _snapshot() == before
