"""What the endpoints answer: the pages' rules through the same services, filters,
keyset pagination, the error shape and fixed query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog, Membership
from proxies.models import ProxyServer
from proxies.selectors import proxy_server_list
from subscriptions.models import LicenseKey
from tests import factories
from tests.api.conftest import base
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db


def _walk(client, url: str) -> list[dict]:
    """Every row of a list, following `next` links; checks that pages never overlap."""
    rows: list[dict] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        url = body["next"]
    return rows


# --- license keys: the same rules as the page -------------------------------------------


def test_a_sublicense_over_the_pool_is_refused_with_its_field(alice_api, company, subscription):
    factories.license_key_create(subscription, quota=8)
    before = list(LicenseKey.objects.values_list("id", "quota"))
    response = alice_api.post(
        f"{base(company)}/subscriptions/{subscription.pk}/license-keys/",
        {"quota": 3, "type": "reserved"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "quota_reserved_exceeded"
    assert "2 out of 10" in error["message"] and "quota" in error["fields"]
    assert list(LicenseKey.objects.values_list("id", "quota")) == before


def test_the_primary_key_cannot_be_modified_or_deleted(alice_api, company, subscription):
    url = f"{base(company)}/subscriptions/{subscription.pk}/license-keys/{subscription.primary_key.pk}/"
    for response in (alice_api.patch(url, {"quota": 2}, format="json"), alice_api.delete(url)):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "primary_key_readonly"
    assert LicenseKey.objects.get(pk=subscription.primary_key.pk).deleted_at is None


def test_an_own_expiry_after_the_subscription_is_refused(alice_api, company, subscription):
    response = alice_api.post(
        f"{base(company)}/subscriptions/{subscription.pk}/license-keys/",
        {
            "quota": 1,
            "type": "dynamic",
            "renew_with_subscription": False,
            "expires_on": (subscription.ends_on + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "expiration_after_subscription"
    assert LicenseKey.objects.filter(subscription=subscription).count() == 1


def test_updating_keeps_the_fields_not_sent(alice_api, company, subscription, sublicense):
    url = f"{base(company)}/subscriptions/{subscription.pk}/license-keys/{sublicense.pk}/"
    response = alice_api.patch(url, {"quota": 5}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["quota"] == 5 and body["name"] == "Design Studio" and body["type"] == "reserved"
    assert body["vacant"] == 5


def test_deleting_a_sublicense_deactivates_its_installation(
    alice_api, company, subscription, sublicense
):
    server = proxy_server_create(sublicense, computers=1)
    url = f"{base(company)}/subscriptions/{subscription.pk}/license-keys/{sublicense.pk}/"
    assert alice_api.delete(url).status_code == 204
    server.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATED
    assert alice_api.get(url).status_code == 404


def test_invalid_input_names_its_fields(alice_api, company, subscription):
    response = alice_api.post(
        f"{base(company)}/subscriptions/{subscription.pk}/license-keys/",
        {"quota": "many", "type": "primary", "expires_on": "soon"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"quota", "type", "expires_on"}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("quota=1", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bodies_that_are_no_object_are_refused(
    alice_api, company, subscription, body, content_type, status
):
    response = alice_api.generic(
        "POST",
        f"{base(company)}/subscriptions/{subscription.pk}/license-keys/",
        body,
        content_type=content_type,
    )
    assert response.status_code == status
    assert "code" in response.json()["error"]


# --- members and invitations ------------------------------------------------------------


def test_the_last_admin_cannot_be_demoted(alice_api, alice, company):
    member = Membership.objects.get(user=alice, account=company)
    response = alice_api.patch(
        f"{base(company)}/members/{member.pk}/", {"role": "member"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "last_admin_demote"
    member.refresh_from_db()
    assert member.role == Membership.Role.ADMIN


def test_a_blocked_member_is_unblocked(alice_api, company, dave):
    member = Membership.objects.get(user=dave, account=company)
    response = alice_api.post(f"{base(company)}/members/{member.pk}/unblock/")
    assert response.status_code == 200 and response.json()["status"] == "active"
    again = alice_api.post(f"{base(company)}/members/{member.pk}/unblock/")
    assert again.status_code == 400 and again.json()["error"]["code"] == "not_blocked"


def test_inviting_reports_members_and_pending_invitations(alice_api, company, bob):
    url = f"{base(company)}/invitations/"
    first = alice_api.post(url, {"emails": ["New@Example.com", "bob@example.com"]}, format="json")
    assert first.status_code == 201
    assert [i["email"] for i in first.json()["invited"]] == ["new@example.com"]
    assert first.json()["already_members"] == ["bob@example.com"]
    second = alice_api.post(url, {"emails": ["new@example.com"]}, format="json")
    assert second.json()["already_invited"] == ["new@example.com"]


def test_a_withdrawn_invitation_cannot_be_withdrawn_again(alice_api, company, alice):
    invitation, _ = factories.invitation_create(company, "x@example.com", invited_by=alice)
    url = f"{base(company)}/invitations/{invitation.pk}/"
    assert alice_api.delete(url).status_code == 204
    response = alice_api.delete(url)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invitation_not_pending"


def test_deactivating_twice_is_a_conflict(alice_api, company, proxy):
    url = f"{base(company)}/proxy-servers/{proxy.pk}/deactivate/"
    assert alice_api.post(url).json()["status"] == "deactivated"
    response = alice_api.post(url)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_deactivated"


# --- filters ------------------------------------------------------------------------------


def test_subscription_filters(alice_api, company, subscription):
    today = timezone.localdate()
    factories.subscription_create(
        company,
        name="Old Pilot",
        starts_on=today - timedelta(days=400),
        ends_on=today - timedelta(days=5),
    )
    url = f"{base(company)}/subscriptions/"
    body = alice_api.get(url, {"display": "expired"}).json()
    assert [s["name"] for s in body["results"]] == ["Old Pilot"]
    assert body["results"][0]["status"] == "expired"
    assert body["counts"] == {"active": 1, "ending": 0, "expired": 1, "all": 2}
    found = alice_api.get(url, {"search": subscription.primary_key.key.replace("-", "")}).json()
    assert [s["id"] for s in found["results"]] == [subscription.pk]
    names = [s["name"] for s in alice_api.get(url, {"sort": "-name"}).json()["results"]]
    assert names == ["Old Pilot", "Headquarters"]
    assert alice_api.get(url, {"product": "nothing"}).json()["results"] == []
    assert alice_api.get(url, {"display": "soon"}).status_code == 400


def test_proxy_filters(alice_api, company, subscription, sublicense, proxy):
    other = proxy_server_create(sublicense, computers=9, status="deactivated")
    url = f"{base(company)}/proxy-servers/"
    deactivated = alice_api.get(url, {"display": "deactivated"}).json()["results"]
    assert [p["id"] for p in deactivated] == [other.pk]
    found = alice_api.get(url, {"q": proxy.server_name}).json()["results"]
    assert [p["id"] for p in found] == [proxy.pk]
    assert found[0]["license_key"].endswith(subscription.primary_key.key[-5:])
    assert subscription.primary_key.key not in str(found)  # masked, as on the page
    # The License Keys table's rule, as on the page: a deactivated server uses no key...
    gone = alice_api.get(url, {"q": other.server_name}).json()["results"][0]
    assert gone["over_limit"] is False
    # ...and an active one with 9 computers on a quota of 3 is over.
    active = proxy_server_create(sublicense, computers=9)
    over = alice_api.get(f"{url}{active.pk}/").json()
    assert over["over_limit"] is True


def test_member_invitation_audit_and_key_filters(
    alice_api, company, alice, bob, dave, subscription, sublicense
):
    factories.invitation_create(company, "x@example.com", invited_by=alice)
    b = base(company)
    blocked = alice_api.get(f"{b}/members/", {"status": "blocked"}).json()["results"]
    assert [m["email"] for m in blocked] == ["dave@example.com"]
    admins = alice_api.get(f"{b}/members/", {"role": "admin"}).json()["results"]
    assert [m["email"] for m in admins] == ["alice@example.com"]
    assert [
        m["email"] for m in alice_api.get(f"{b}/members/", {"search": "Bob"}).json()["results"]
    ] == ["bob@example.com"]
    assert alice_api.get(f"{b}/invitations/", {"status": "accepted"}).json()["results"] == []
    assert len(alice_api.get(f"{b}/invitations/", {"status": "pending"}).json()["results"]) == 1
    keys = alice_api.get(f"{b}/subscriptions/{subscription.pk}/license-keys/", {"type": "reserved"})
    assert [k["id"] for k in keys.json()["results"]] == [sublicense.pk]
    entries = alice_api.get(f"{b}/audit-log/", {"action": "subscription."}).json()["results"]
    assert entries and all(e["action"].startswith("subscription.") for e in entries)
    assert alice_api.get(f"{b}/audit-log/", {"since": "yesterday"}).status_code == 400


def test_usage_within_dates(alice_api, company, proxy):
    today = timezone.localdate()
    url = f"{base(company)}/proxy-servers/{proxy.pk}/usage/"
    rows = alice_api.get(url, {"since": (today - timedelta(days=1)).isoformat()}).json()["results"]
    assert [r["date"] for r in rows] == [today.isoformat(), (today - timedelta(days=1)).isoformat()]


# --- keyset pagination --------------------------------------------------------------------


def test_the_audit_log_pages_through_every_entry_once(alice_api, company, alice):
    for n in range(7):
        AuditLog.objects.create(account=company, channel="web", action=f"test.{n}")
    everything = list(AuditLog.objects.filter(account=company).values_list("id", flat=True))
    rows = _walk(alice_api, f"{base(company)}/audit-log/?page_size=3")
    assert [r["id"] for r in rows] == everything  # newest first, no repeats, none missing


@pytest.mark.parametrize(
    "sort", ["last_report_date", "-last_report_date", "license_key", "-offline_use"]
)
def test_proxy_pages_follow_the_sort_even_over_nulls(alice_api, company, subscription, sort):
    now = timezone.now()
    for n in range(7):
        key = factories.license_key_create(subscription, quota=1, type="dynamic", name=f"k{n}")
        server = proxy_server_create(key, computers=0)
        if n % 2:  # half of them never reported: null dates in the sort column
            ProxyServer.objects.filter(pk=server.pk).update(
                last_report_at=now - timedelta(hours=n % 3)
            )
    expected = list(
        proxy_server_list(account=company, today=timezone.localdate(), sort=sort).values_list(
            "id", flat=True
        )
    )
    rows = _walk(alice_api, f"{base(company)}/proxy-servers/?page_size=2&sort={sort}")
    assert [r["id"] for r in rows] == expected


def test_a_forged_or_foreign_cursor_is_refused(alice_api, company, alice):
    for n in range(3):
        AuditLog.objects.create(account=company, channel="web", action=f"test.{n}")
    url = f"{base(company)}/audit-log/?page_size=1"
    next_url = alice_api.get(url).json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    for url in (
        f"{base(company)}/audit-log/?cursor={cursor}x",
        f"{base(company)}/members/?cursor={cursor}",
        f"{base(company)}/members/?cursor=0",
        f"{base(company)}/members/?cursor=%00",
        f"{base(company)}/members/?cursor=%20",
    ):
        response = alice_api.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("page_size", ["0", "101", "", "5.0", " 5", "1e1", "five"])
def test_page_size_is_a_whole_number_within_bounds(alice_api, company, page_size):
    response = alice_api.get(f"{base(company)}/members/", {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "query",
    [
        {"status": ""},
        {"role": ""},
        {"cursor": ""},
    ],
)
def test_an_empty_parameter_is_not_taken_for_an_absent_one(alice_api, company, query):
    response = alice_api.get(f"{base(company)}/members/", query)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(query)


# --- query counts -------------------------------------------------------------------------


@pytest.fixture
def crowd(company, alice, subscription):
    """Many rows of everything, so that a query per row would show."""
    for n in range(15):
        user = factories.user_create(f"member{n}@example.com")
        factories.membership_create(user, company)
        factories.invitation_create(company, f"invitee{n}@example.com", invited_by=alice)
        key = factories.license_key_create(subscription, quota=1, type="dynamic", name=f"k{n}")
        proxy_server_create(key, computers=n % 3)
        factories.subscription_create(company, name=f"Site {n}")


# Every request: the token (with its user), the SSO domain of its owner's address and the
# caller's membership; then the list.
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/subscriptions/", 5),  # + display counts, one page
        ("/subscriptions/{subscription}/license-keys/", 7),  # + subscription, page, keys, usage
        ("/proxy-servers/", 5),  # + one page (keys, subscriptions joined), keys over the limit
        ("/members/", 4),  # + one page (users joined)
        ("/invitations/", 4),  # + one page (inviters joined)
        ("/audit-log/", 4),  # + one page
    ],
)
def test_list_query_counts(
    alice_api, company, subscription, crowd, path, queries, django_assert_max_num_queries
):
    url = base(company) + path.format(subscription=subscription.pk) + "?page_size=100"
    with django_assert_max_num_queries(queries):
        response = alice_api.get(url)
    assert response.status_code == 200 and len(response.json()["results"]) >= 15


def test_usage_and_detail_query_counts(
    alice_api, company, proxy, subscription, django_assert_max_num_queries
):
    # token, its owner's SSO domain, membership, server, reports
    with django_assert_max_num_queries(5):
        assert alice_api.get(f"{base(company)}/proxy-servers/{proxy.pk}/usage/").status_code == 200
    # token, its owner's SSO domain, membership, subscription, keys, usage, orders
    with django_assert_max_num_queries(7):
        assert alice_api.get(f"{base(company)}/subscriptions/{subscription.pk}/").status_code == 200


def test_deactivating_a_pending_offline_server_again_is_409(alice_api, company, proxy):
    ProxyServer.objects.filter(pk=proxy.pk).update(method=ProxyServer.Method.OFFLINE)
    url = f"{base(company)}/proxy-servers/{proxy.pk}/deactivate/"
    first = alice_api.post(url)
    assert first.status_code == 200 and first.json()["status"] == "deactivating"
    entries = AuditLog.objects.count()
    again = alice_api.post(url)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_deactivated"
    assert AuditLog.objects.count() == entries


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 0, "quota": 1, "type": "dynamic"}, "name"),
        ({"quota": "1", "type": "dynamic"}, "quota"),
        ({"quota": 1.0, "type": "dynamic"}, "quota"),
        ({"quota": True, "type": "dynamic"}, "quota"),
        (
            {"quota": 1, "type": "dynamic", "renew_with_subscription": "true"},
            "renew_with_subscription",
        ),
        ({"quota": 1, "type": "dynamic", "renew_with_subscription": 1}, "renew_with_subscription"),
    ],
)
def test_a_value_of_another_json_type_is_refused(alice_api, company, subscription, body, field):
    before = list(LicenseKey.objects.values_list("id", "name", "quota"))
    response = alice_api.post(
        f"{base(company)}/subscriptions/{subscription.pk}/license-keys/", body, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert list(LicenseKey.objects.values_list("id", "name", "quota")) == before


def test_notes_must_be_text(alice_api, company, bob):
    member = Membership.objects.get(account=company, user=bob)
    response = alice_api.patch(f"{base(company)}/members/{member.pk}/", {"notes": 0}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["notes"]
    member.refresh_from_db()
    assert member.notes == ""
