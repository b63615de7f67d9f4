"""The permission matrix of every endpoint, and "nothing changed" after each refusal.

- alice (Account Administrator): everything;
- bob (Regular Member), erin after being demoted: reads, 403 on writes;
- dave (blocked), erin after being blocked, charlie (another company): 404;
- no token, an unknown token, a revoked token: 401.
The role is read at each request: erin's token was made while she was an admin.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import AuditLog, Invitation, Membership
from api.models import ApiToken
from proxies.models import ProxyServer
from subscriptions.models import LicenseKey
from subscriptions.services import license_key_administrator_remove
from tests import factories
from tests.api.conftest import api_client, token_for

pytestmark = pytest.mark.django_db

READS = [
    "/subscriptions/",
    "/subscriptions/{subscription}/",
    "/subscriptions/{subscription}/license-keys/",
    "/subscriptions/{subscription}/license-keys/{sublicense}/",
    "/proxy-servers/",
    "/proxy-servers/{proxy}/",
    "/proxy-servers/{proxy}/usage/",
    "/members/",
    "/members/{bob_member}/",
    "/invitations/",
    "/invitations/{invitation}/",
    "/audit-log/",
]

# What the pages show to Account Administrators only: a Regular Member's token reads none
# of it (403), as on the pages.
ADMIN_ONLY_READS = {
    "/members/{bob_member}/",
    "/invitations/",
    "/invitations/{invitation}/",
    "/audit-log/",
}

# (method, path, body, alice's status)
WRITES = [
    ("post", "/subscriptions/{subscription}/license-keys/", {"quota": 1, "type": "dynamic"}, 201),
    ("patch", "/subscriptions/{subscription}/license-keys/{sublicense}/", {"quota": 2}, 200),
    ("delete", "/subscriptions/{subscription}/license-keys/{sublicense}/", None, 204),
    ("post", "/proxy-servers/{proxy}/deactivate/", None, 200),
    ("patch", "/members/{bob_member}/", {"role": "admin"}, 200),
    ("post", "/members/{bob_member}/block/", None, 200),
    ("post", "/members/{dave_member}/unblock/", None, 200),
    ("delete", "/members/{bob_member}/", None, 204),
    ("post", "/invitations/", {"emails": ["newcomer2@example.com"]}, 201),
    ("delete", "/invitations/{invitation}/", None, 204),
]


@pytest.fixture
def scene(company, alice, bob, dave, charlie, erin, subscription, sublicense, proxy):
    invitation, _ = factories.invitation_create(company, "newcomer@example.com", invited_by=alice)
    return {
        "account": company.pk,
        "subscription": subscription.pk,
        "sublicense": sublicense.pk,
        "proxy": proxy.pk,
        "bob_member": Membership.objects.get(user=bob, account=company).pk,
        "dave_member": Membership.objects.get(user=dave, account=company).pk,
        "invitation": invitation.pk,
    }


def _caller(name: str, request, company):
    """The client of one row of the matrix, and what it may do: all, read or none."""
    if name in ("alice", "bob", "dave", "charlie"):
        user = request.getfixturevalue(name)
        return api_client(token_for(user)), {"alice": "all", "bob": "read"}.get(name, "404")
    if name.startswith("erin"):
        erin = request.getfixturevalue("erin")
        client = api_client(token_for(erin))
        membership = Membership.objects.get(user=erin, account=company)
        if name == "erin_demoted":
            membership.role = Membership.Role.MEMBER
            membership.save()
            return client, "read"
        membership.status = Membership.Status.BLOCKED
        membership.save()
        return client, "404"
    if name == "revoked":
        secret = token_for(request.getfixturevalue("alice"), "revoked")
        ApiToken.objects.filter(name="revoked").update(revoked_at=timezone.now())
        return api_client(secret), "401"
    if name == "deactivated_user":
        alice = request.getfixturevalue("alice")
        secret = token_for(alice, "inactive")
        alice.is_active = False
        alice.save()
        return api_client(secret), "401"
    if name == "unknown":
        return api_client("not-a-token-at-all"), "401"
    return api_client(None), "401"


CALLERS = [
    "alice",
    "bob",
    "erin_demoted",
    "dave",
    "erin_blocked",
    "charlie",
    "anonymous",
    "unknown",
    "revoked",
    "deactivated_user",
]


def _snapshot(company) -> tuple:
    """Everything an API write could change in the company."""
    return (
        list(
            LicenseKey.objects.filter(subscription__account=company)
            .order_by("id")
            .values_list("id", "name", "type", "quota", "expires_on", "deleted_at")
        ),
        list(ProxyServer.objects.filter(account=company).values_list("id", "status")),
        list(
            Membership.objects.filter(account=company)
            .order_by("id")
            .values_list("id", "role", "status", "notes")
        ),
        list(Invitation.objects.filter(account=company).values_list("id", "status")),
        AuditLog.objects.filter(account=company).count(),
    )


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("path", READS)
def test_reads(request, who, path, scene, company):
    client, may = _caller(who, request, company)
    response = client.get(f"/api/v1/accounts/{scene['account']}" + path.format(**scene))
    expected = {"all": 200, "read": 200, "404": 404, "401": 401}[may]
    if may == "read" and path in ADMIN_ONLY_READS:
        expected = 403
    assert response.status_code == expected, response.content
    if expected != 200:
        assert set(response.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize(("method", "path", "body", "success"), WRITES)
def test_writes(request, who, method, path, body, success, scene, company):
    client, may = _caller(who, request, company)
    before = _snapshot(company)
    url = f"/api/v1/accounts/{scene['account']}" + path.format(**scene)
    response = getattr(client, method)(url, body, format="json")
    expected = {"all": success, "read": 403, "404": 404, "401": 401}[may]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}
        assert _snapshot(company) == before  # a refusal changes nothing
    else:
        assert _snapshot(company) != before
        entry = AuditLog.objects.filter(account=company).order_by("-id").first()
        assert entry.channel == AuditLog.Channel.API and entry.actor_id == scene_alice(company)


def scene_alice(company) -> int:
    return Membership.objects.get(account=company, user__email="alice@example.com").user_id


def test_the_accounts_list_shows_active_business_memberships_only(
    request, company, other_company, alice, dave, charlie
):
    factories.membership_create(alice, other_company, status=Membership.Status.BLOCKED)
    response = api_client(token_for(alice)).get("/api/v1/accounts/")
    assert [a["id"] for a in response.json()["results"]] == [company.pk]
    assert api_client(token_for(dave)).get("/api/v1/accounts/").json()["results"] == []


def test_a_regular_member_sees_no_administrators_notes(request, scene, company, bob, alice):
    Membership.objects.filter(user=alice, account=company).update(notes="Private note")
    url = f"/api/v1/accounts/{scene['account']}/members/"
    as_bob = api_client(token_for(bob)).get(url).json()["results"]
    assert all("notes" not in member for member in as_bob)
    as_alice = api_client(token_for(alice)).get(url).json()["results"]
    assert "Private note" in [member["notes"] for member in as_alice]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/subscriptions/{subscription}/license-keys/", '{"quota": 1, "type": "\\ud800"}'),
        ("/members/{bob_member}/", '{"role": "\\ud800"}'),
    ],
)
def test_a_lone_surrogate_in_a_choice_is_a_clear_400(scene, company, alice, path, body):
    before = _snapshot(company)
    client = api_client(token_for(alice))
    url = f"/api/v1/accounts/{scene['account']}" + path.format(**scene)
    method = client.post if path.endswith("license-keys/") else client.patch
    response = method(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"]
    assert _snapshot(company) == before


# License Administrators (a key's gear → License Administrators): lena administers the
# primary key, whose proxy server the scene has; lars administers a key of another
# subscription. Their tokens reach the endpoints about keys and proxy servers, for their
# keys only; everything else of the account answers 404, as if it did not exist.
LICENSE_ADMIN_READS = {
    "/subscriptions/": (200, 200),
    "/subscriptions/{subscription}/": (404, 404),  # the pool, orders, contract
    "/subscriptions/{subscription}/license-keys/": (200, 404),
    "/subscriptions/{subscription}/license-keys/{sublicense}/": (404, 404),
    "/proxy-servers/": (200, 200),
    "/proxy-servers/{proxy}/": (200, 404),
    "/proxy-servers/{proxy}/usage/": (200, 404),
    "/members/": (404, 404),
    "/members/{bob_member}/": (404, 404),
    "/invitations/": (404, 404),
    "/invitations/{invitation}/": (404, 404),
    "/audit-log/": (404, 404),
}
LICENSE_ADMIN_WRITES = {
    # Creating a sublicense is the Account Administrators' (the service's 403).
    ("post", "/subscriptions/{subscription}/license-keys/"): (403, 404),
    ("patch", "/subscriptions/{subscription}/license-keys/{sublicense}/"): (404, 404),
    ("delete", "/subscriptions/{subscription}/license-keys/{sublicense}/"): (404, 404),
    ("post", "/proxy-servers/{proxy}/deactivate/"): (200, 404),
    ("patch", "/members/{bob_member}/"): (404, 404),
    ("post", "/members/{bob_member}/block/"): (404, 404),
    ("post", "/members/{dave_member}/unblock/"): (404, 404),
    ("delete", "/members/{bob_member}/"): (404, 404),
    ("post", "/invitations/"): (404, 404),
    ("delete", "/invitations/{invitation}/"): (404, 404),
}


@pytest.fixture
def license_admins(scene, subscription, lena_key):
    lena = factories.user_create("lena@example.com", "Lena", "Keys")
    factories.license_key_administrator_create(lena, subscription.primary_key)
    lars = factories.user_create("lars@example.com", "Lars", "Keys")
    factories.license_key_administrator_create(lars, lena_key)
    return {"lena": lena, "lars": lars}


@pytest.mark.parametrize("who", [0, 1], ids=["lena_of_the_proxys_key", "lars_of_another_key"])
@pytest.mark.parametrize("path", READS)
def test_license_administrators_read_their_keys_only(
    who, path, scene, company, license_admins, sublicense
):
    user = license_admins[["lena", "lars"][who]]
    response = api_client(token_for(user)).get(
        f"/api/v1/accounts/{scene['account']}" + path.format(**scene)
    )
    assert response.status_code == LICENSE_ADMIN_READS[path][who], response.content
    if path == "/proxy-servers/":
        names = [p["id"] for p in response.json()["results"]]
        assert names == ([scene["proxy"]] if who == 0 else [])
    if path == "/subscriptions/{subscription}/license-keys/" and who == 0:
        assert [k["id"] for k in response.json()["results"]] == [
            LicenseKey.objects.get(subscription_id=scene["subscription"], type="primary").pk
        ]


@pytest.mark.parametrize("who", [0, 1], ids=["lena_of_the_proxys_key", "lars_of_another_key"])
@pytest.mark.parametrize(("method", "path", "body", "success"), WRITES)
def test_license_administrators_write_to_their_keys_only(
    who, method, path, body, success, scene, company, license_admins
):
    user = license_admins[["lena", "lars"][who]]
    before = _snapshot(company)
    url = f"/api/v1/accounts/{scene['account']}" + path.format(**scene)
    response = getattr(api_client(token_for(user)), method)(url, body, format="json")
    expected = LICENSE_ADMIN_WRITES[(method, path)][who]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}
        assert _snapshot(company) == before
    else:
        entry = AuditLog.objects.filter(account=company).order_by("-id").first()
        assert (entry.channel, entry.actor) == (AuditLog.Channel.API, user)


def test_a_license_administrators_token_follows_the_role_at_once(
    scene, company, alice, license_admins, subscription
):
    lena = license_admins["lena"]
    client = api_client(token_for(lena))
    url = f"/api/v1/accounts/{scene['account']}/proxy-servers/{scene['proxy']}/"
    assert client.get(url).status_code == 200
    license_key_administrator_remove(
        license_key=subscription.primary_key,
        membership=Membership.objects.get(user=lena, account=company),
        actor=alice,
    )
    # No key left: lena is a Regular Member again, who reads and never writes.
    assert client.get(url).status_code == 200
    assert client.post(url + "deactivate/").status_code == 403
    assert client.get(f"/api/v1/accounts/{scene['account']}/members/").status_code == 200


@pytest.mark.parametrize("path", ["/tickets/", "/webhooks/"])
def test_a_license_administrators_token_finds_no_tickets_or_webhooks(path, scene, license_admins):
    client = api_client(token_for(license_admins["lena"]))
    response = client.get(f"/api/v1/accounts/{scene['account']}{path}")
    assert response.status_code == 404
    response = client.post(f"/api/v1/accounts/{scene['account']}{path}", {}, format="json")
    assert response.status_code == 404
