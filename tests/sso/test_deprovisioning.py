"""Deprovisioning under "Require SSO": My Company requires SSO of mycompany.example.
erin signed in through the IdP and holds an API token; once the IdP (SCIM) or an
administrator blocks or removes her, her browser session and her token stop at once,
a password sign-in and a password reset are refused, and frank, the break-glass
Account Administrator, still signs in with his password."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.urls import reverse

from accounts.models import Account, Membership, User
from sso import services
from sso.backends import SsoAuthenticationBackend
from tests import factories
from tests.accounts.test_signup import signup
from tests.api.conftest import api_client, token_for
from tests.factories import PASSWORD
from tests.sso.conftest import continue_with_sso, scim_call

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/v1/accounts/"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def scim_token(alice, enforced):
    return services.sso_scim_token_rotate(account=enforced, actor=alice)


@pytest.fixture
def erin_browser(enforced, erin) -> Client:
    browser = Client()
    assert continue_with_sso(browser, "erin@mycompany.example").status_code == 302
    assert browser.get(reverse("dashboard")).status_code == 200
    return browser


@pytest.fixture
def erin_api(erin):
    client = api_client(token_for(erin))
    assert client.get(ACCOUNTS).status_code == 200
    return client


def _membership(user, account) -> Membership:
    return Membership.objects.get(user=user, account=account)


def _scim_active(token: str, membership: Membership, active: bool):
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": active}}]}
    return scim_call("PATCH", f"Users/{membership.pk}", token, body)


def _password_sign_in(email: str):
    return Client().post(reverse("account_login"), {"login": email, "password": PASSWORD})


def _assert_deprovisioned(browser: Client, api) -> None:
    answer = api.get(ACCOUNTS)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "authentication_failed"
    page = browser.get(reverse("dashboard"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("account_login"))
    assert not page.wsgi_request.user.is_authenticated


def test_an_scim_deactivation_ends_the_session_and_the_token_at_once(
    enforced, erin, erin_browser, erin_api, scim_token
):
    assert _scim_active(scim_token, _membership(erin, enforced), False).status_code == 200
    _assert_deprovisioned(erin_browser, erin_api)


def test_password_sign_in_reset_and_token_are_refused_and_the_break_glass_still_signs_in(
    client,
    enforced,
    erin,
    frank,
    erin_api,
    scim_token,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    assert _scim_active(scim_token, _membership(erin, enforced), False).status_code == 200
    assert erin_api.get(ACCOUNTS).status_code == 401
    refused = _password_sign_in("erin@mycompany.example")
    assert refused.status_code == 403
    assert "requires you to sign in with single sign-on" in refused.content.decode()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "erin@mycompany.example"})
    [email] = mailoutbox
    assert "/accounts/password/reset/key/" not in email.body
    assert "/accounts/sso/" in email.body
    assert _password_sign_in("frank@mycompany.example").status_code == 302
    assert api_client(token_for(frank)).get(ACCOUNTS).status_code == 200


def test_an_scim_delete_ends_them_too(enforced, erin, erin_browser, erin_api, scim_token):
    response = scim_call("DELETE", f"Users/{_membership(erin, enforced).pk}", scim_token)
    assert response.status_code == 204
    _assert_deprovisioned(erin_browser, erin_api)


@pytest.mark.parametrize("action", ["membership_block", "membership_delete"])
def test_an_administrators_block_or_removal_ends_them_too(
    alice_client, enforced, erin, erin_browser, erin_api, action
):
    response = alice_client.post(reverse(action, args=[_membership(erin, enforced).pk]))
    assert response.status_code == 302
    _assert_deprovisioned(erin_browser, erin_api)


def test_the_idp_letting_them_in_again_gives_the_token_back(
    enforced, erin, erin_browser, erin_api, scim_token
):
    membership = _membership(erin, enforced)
    _scim_active(scim_token, membership, False)
    assert erin_api.get(ACCOUNTS).status_code == 401
    assert _scim_active(scim_token, membership, True).status_code == 200
    assert erin_api.get(ACCOUNTS).status_code == 200
    # The ended session stays ended: she signs in through the IdP again.
    browser = Client()
    assert continue_with_sso(browser, "erin@mycompany.example").status_code == 302
    assert browser.get(reverse("dashboard")).status_code == 200


def test_without_require_sso_a_block_ends_only_that_accounts_context(
    alice_client, sso_company, erin, erin_api
):
    other = factories.business_account_create("Erin's Lab")
    factories.membership_create(erin, other, role=Membership.Role.ADMIN)
    browser = Client()
    browser.force_login(erin)
    alice_client.post(reverse("membership_block", args=[_membership(erin, sso_company).pk]))
    accounts = erin_api.get(ACCOUNTS)
    assert accounts.status_code == 200
    assert [a["name"] for a in accounts.json()["results"]] == ["Erin's Lab"]
    assert erin_api.get(f"{ACCOUNTS}{sso_company.pk}/members/").status_code == 404
    page = browser.get(reverse("dashboard"))
    assert page.status_code == 200 and page.wsgi_request.account == other


def test_someone_of_the_domain_who_never_came_through_the_idp_is_signed_out(enforced):
    # gina had a password and a session before My Company required SSO; she is no
    # member of it, so the session ends and she signs in through the IdP.
    gina = factories.user_create("gina@mycompany.example", "Gina", "Existing")
    browser = Client()
    browser.force_login(gina)
    assert browser.get(reverse("dashboard")).status_code == 302
    assert continue_with_sso(browser, "gina@mycompany.example").status_code == 302
    assert browser.get(reverse("dashboard")).wsgi_request.user == gina
    assert _membership(gina, enforced).status == Membership.Status.ACTIVE


def test_a_password_sign_up_with_an_address_of_the_domain_is_sent_to_sso(client, enforced):
    before = (User.objects.count(), Account.objects.count())
    response = signup(client, email="hugo@MyCompany.example")
    assert response.status_code == 200
    page = response.content.decode()
    assert "requires you to sign in with single sign-on. Use Continue with SSO." in page
    assert reverse("sso_start") in page
    assert (User.objects.count(), Account.objects.count()) == before


def test_a_sign_up_elsewhere_is_not_concerned(client, enforced):
    assert signup(client, email="ivy@example.org").status_code == 302
    assert User.objects.filter(email="ivy@example.org").exists()


def test_an_address_in_capitals_is_of_the_domain_too(enforced, scim_token):
    # The domain is compared without case, as at sign-in: GINA@MYCOMPANY.EXAMPLE is no
    # member of My Company, so her session ends as gina's does.
    gina = factories.user_create("GINA@MYCOMPANY.EXAMPLE", "Gina", "Capitals")
    browser = Client()
    browser.force_login(gina)
    assert browser.get(reverse("dashboard")).status_code == 302
    assert api_client(token_for(gina)).get(ACCOUNTS).status_code == 401


def test_the_asynchronous_user_load_refuses_them_as_the_synchronous_one(enforced, erin, scim_token):
    backend = SsoAuthenticationBackend()
    assert async_to_sync(backend.aget_user)(erin.pk) == erin
    assert _scim_active(scim_token, _membership(erin, enforced), False).status_code == 200
    assert async_to_sync(backend.aget_user)(erin.pk) is None
    assert backend.get_user(erin.pk) is None
