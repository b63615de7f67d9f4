"""The permission matrix of the Business Profile pages and actions.

alice administers My Company, bob is a Regular Member, lena a License Administrator of
one key, dave is blocked, charlie
administers Other Corp, and anonymous is nobody. Each refused request must answer
as expected *and* change nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, AuditLog, Invitation, Membership
from tests import factories


def _state(company: Account) -> tuple:
    """Everything about My Company that an action could change."""
    return (
        tuple(
            Account.objects.filter(pk=company.pk).values_list(
                "name", "street", "city", "country", "state", "zip_code", "phone"
            )
        ),
        tuple(
            Membership.objects.filter(account=company)
            .order_by("pk")
            .values_list("pk", "role", "status", "notes")
        ),
        tuple(
            Invitation.objects.filter(account=company)
            .order_by("pk")
            .values_list("pk", "status", "token_hash", "expires_at")
        ),
        AuditLog.objects.filter(account=company).count(),
    )


@pytest.fixture
def scene(alice, bob, dave, charlie, company):
    invitation, _ = factories.invitation_create(company, "new@example.com", alice)
    return {
        "bob_m": Membership.objects.get(user=bob, account=company).pk,
        "dave_m": Membership.objects.get(user=dave, account=company).pk,
        "invitation": invitation.pk,
    }


EDIT = {
    "name": "Hacked",
    "country": "US",
    "state": "WA",
    "zip_code": "1",
    "phone": "123456",
}

# (method, url name, args from the scene, data)
PAGES = {
    "profile": ("get", "business_profile", None, None),
    "users": ("get", "business_users", None, None),
    "edit page": ("get", "business_profile_edit", None, None),
    "invite page": ("get", "invite_users", None, None),
    "membership page": ("get", "membership_detail", "bob_m", None),
    "audit log": ("get", "audit_log", None, None),
}
ACTIONS = {
    "edit": ("post", "business_profile_edit", None, EDIT),
    "invite": ("post", "invite_users", None, {"emails": "x@example.com", "action": "send"}),
    "promote": (
        "post",
        "membership_detail",
        "bob_m",
        lambda s: {f"m{s['bob_m']}-role": "admin", f"m{s['bob_m']}-notes": "x"},
    ),
    "block": ("post", "membership_block", "bob_m", {}),
    "unblock": ("post", "membership_unblock", "dave_m", {}),
    "delete": ("post", "membership_delete", "bob_m", {}),
    "resend": ("post", "invitation_resend", "invitation", {}),
    "revoke": ("post", "invitation_revoke", "invitation", {}),
}

# What each person gets. bob reads; dave's only business account is blocked, so he
# is in his personal account (404); charlie's pages show his own company, and ids
# from My Company are a 404 for him.
EXPECTED = {
    "bob": {"profile": 200, "users": 200, "*": 403},
    # A License Administrator sees nothing of the account but their keys: the pages
    # about the whole account do not exist for her, its actions are refused.
    "lena": {"profile": 404, "users": 404, "*": 403},
    "dave": {"*": 404},
    "charlie": {
        "profile": 200,
        "users": 200,
        "edit page": 200,
        "invite page": 200,
        "audit log": 200,
        "edit": 302,  # edits Other Corp, never My Company
        "invite": 302,  # invites to Other Corp
        "*": 404,
    },
    "anonymous": {"*": 302},
}


def _client(who, request) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


def _request(client, spec, scene):
    method, name, arg, data = spec
    url = reverse(name, args=[scene[arg]] if arg else [])
    if callable(data):
        data = data(scene)
    return getattr(client, method)(url, data or {})


@pytest.mark.parametrize("who", sorted(EXPECTED))
@pytest.mark.parametrize("what", [*PAGES, *ACTIONS])
def test_the_permission_matrix(who, what, scene, company, request):
    client = _client(who, request)
    before = _state(company)
    response = _request(client, {**PAGES, **ACTIONS}[what], scene)
    expected = EXPECTED[who].get(what, EXPECTED[who]["*"])
    assert response.status_code == expected, (who, what)
    if who == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    assert _state(company) == before, (who, what)


@pytest.mark.parametrize("what", [*PAGES, *ACTIONS])
def test_alice_may_do_everything(what, scene, company, alice_client):
    before = _state(company)
    response = _request(alice_client, {**PAGES, **ACTIONS}[what], scene)
    assert response.status_code == (200 if what in PAGES else 302)
    if what in ACTIONS:
        assert _state(company) != before, what


def test_leaving(scene, company, bob_client, dave_client, charlie_client, client, bob):
    before = _state(company)
    assert dave_client.post(reverse("business_leave")).status_code == 404
    assert client.post(reverse("business_leave")).status_code == 302
    assert _state(company) == before
    # charlie leaves Other Corp (where he is the last admin: refused), not My Company.
    charlie_client.post(reverse("business_leave"))
    assert _state(company) == before
    # bob may leave: membership is his.
    bob_client.post(reverse("business_leave"))
    assert not Membership.objects.filter(user=bob, account=company).exists()


def test_the_selector_opens_only_the_users_own_active_accounts(
    scene, company, other_company, charlie_client, dave_client, alice_client
):
    for client in (charlie_client, dave_client):
        client.post(reverse("switch_account"), {"account": company.pk})
        response = client.get(reverse("business_users"))
        assert response.status_code in (200, 404)
        assert "alice@example.com" not in response.content.decode()
        assert response.wsgi_request.account != company
    alice_client.post(reverse("switch_account"), {"account": other_company.pk})
    assert alice_client.get(reverse("business_users")).wsgi_request.account == company


def test_every_page_shows_the_current_account(scene, alice, alice_client):
    personal = Membership.objects.get(user=alice, account__kind="personal").account
    html = alice_client.get(reverse("business_users")).content.decode()
    assert "My Company, Inc. (Business Account) (3)</option>" in html  # and its members
    assert "selected>My Company, Inc. (Business Account)" in html
    alice_client.post(reverse("switch_account"), {"account": personal.pk})
    html = alice_client.get(reverse("dashboard")).content.decode()
    assert "selected>Alice Admin (Personal Account)" in html
    # Her only business account's pages take her back to it (see
    # test_business_account_required.py); people without one get the 404.
    assert alice_client.get(reverse("business_users")).status_code == 200
