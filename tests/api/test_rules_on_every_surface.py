"""A rule with a page and an API form reads the same on both: each test runs against
the page and the API, so they cannot drift apart again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership
from proxies.models import ProxyServer
from proxies.selectors import license_key_availability
from subscriptions.models import LicenseKey
from tests import factories
from tests.api.conftest import base
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db

SURFACES = ["page", "api"]


def _primary_row(surface, alice_client, alice_api, company, subscription) -> dict:
    if surface == "api":
        url = f"{base(company)}/subscriptions/{subscription.pk}/license-keys/"
        [row] = [r for r in alice_api.get(url).json()["results"] if r["type"] == "primary"]
        return {"vacant": row["vacant"], "over_limit": row["over_limit"]}
    response = alice_client.get(reverse("subscription_detail", args=[subscription.pk]))
    [row] = [r for r in response.context["table"].rows if r.key.is_primary]
    assert f"Over the limit by {-row.vacant}" in response.content.decode()
    return {"vacant": row.vacant, "over_limit": row.over_limit}


@pytest.mark.parametrize("surface", SURFACES)
def test_the_pool_rule_puts_the_primary_key_over_the_limit(
    surface, alice_client, alice_api, company
):
    # 10 licenses, 8 reserved by a sublicense, the primary key's installation uses 5.
    subscription = factories.subscription_create(company, licenses=10)
    factories.license_key_create(subscription, quota=8, name="Branch")
    proxy_server_create(subscription.primary_key, computers=5)
    row = _primary_row(surface, alice_client, alice_api, company, subscription)
    assert row == {"vacant": -3, "over_limit": True}


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("starts", "ends", "page_status", "api_status"),
    [
        (-10, 10, "Active", "active"),
        (5, 30, "Not started", "upcoming"),
        (-30, -1, "Expired", "expired"),
    ],
)
def test_a_subscriptions_status_is_one_rule(
    surface, starts, ends, page_status, api_status, alice_client, alice_api, company
):
    today = timezone.localdate()
    subscription = factories.subscription_create(
        company, starts_on=today + timedelta(days=starts), ends_on=today + timedelta(days=ends)
    )
    if surface == "api":
        body = alice_api.get(f"{base(company)}/subscriptions/{subscription.pk}/").json()
        assert body["status"] == api_status
    else:
        response = alice_client.get(reverse("subscription_detail", args=[subscription.pk]))
        assert response.context["status"] == page_status
        assert page_status in response.content.decode()


# --- sublicenses: create, modify, delete -------------------------------------------------


def _keys(subscription) -> list[tuple]:
    return list(
        LicenseKey.objects.filter(subscription=subscription)
        .order_by("id")
        .values_list("id", "name", "type", "quota", "renew_with_subscription", "expires_on")
    )


def _sublicense_create(surface, alice_client, alice_api, company, subscription, fields):
    """Create a sublicense on `surface`; the error code's message, or None when made."""
    if surface == "api":
        response = alice_api.post(
            f"{base(company)}/subscriptions/{subscription.pk}/license-keys/", fields, format="json"
        )
        return None if response.status_code == 201 else response.json()["error"]["message"]
    data = {k: v for k, v in fields.items() if k != "renew_with_subscription"}
    if fields.get("renew_with_subscription", True):
        data["renew_with_subscription"] = "on"
    response = alice_client.post(reverse("license_key_create", args=[subscription.pk]), data)
    if response.status_code == 302:
        return None
    return " ".join(e for errors in response.context["form"].errors.values() for e in errors)


@pytest.mark.parametrize("surface", SURFACES)
def test_reserved_quotas_together_never_exceed_the_licenses(
    surface, alice_client, alice_api, company, subscription
):
    factories.license_key_create(subscription, quota=8, name="Branch")
    before = _keys(subscription)
    error = _sublicense_create(
        surface, alice_client, alice_api, company, subscription, {"quota": 3, "type": "reserved"}
    )
    assert "exceed the subscription's licenses" in error
    assert _keys(subscription) == before


@pytest.mark.parametrize("surface", SURFACES)
def test_a_sublicense_cannot_end_after_its_subscription(
    surface, alice_client, alice_api, company, subscription
):
    before = _keys(subscription)
    late = (subscription.ends_on + timedelta(days=1)).isoformat()
    error = _sublicense_create(
        surface,
        alice_client,
        alice_api,
        company,
        subscription,
        {"quota": 1, "type": "dynamic", "renew_with_subscription": False, "expires_on": late},
    )
    assert "cannot be later than the subscription" in error
    assert _keys(subscription) == before


@pytest.mark.parametrize("surface", SURFACES)
def test_a_sublicense_within_the_pool_is_made(
    surface, alice_client, alice_api, company, subscription
):
    factories.license_key_create(subscription, quota=8, name="Branch")
    error = _sublicense_create(
        surface,
        alice_client,
        alice_api,
        company,
        subscription,
        {"name": "Studio", "quota": 2, "type": "reserved"},
    )
    assert error is None
    key = subscription.license_keys.get(name="Studio")
    assert (key.type, key.quota, key.renew_with_subscription) == ("reserved", 2, True)


@pytest.mark.parametrize("surface", SURFACES)
def test_a_modified_sublicense_cannot_take_more_than_the_other_reserved_quotas_leave(
    surface, alice_client, alice_api, company, subscription
):
    factories.license_key_create(subscription, quota=6, name="Branch")
    studio = factories.license_key_create(subscription, quota=2, name="Studio")
    before = _keys(subscription)
    if surface == "api":
        url = f"{base(company)}/subscriptions/{subscription.pk}/license-keys/{studio.pk}/"
        response = alice_api.patch(url, {"quota": 5}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "quota_reserved_exceeded"
    else:
        url = reverse("license_key_update", args=[subscription.pk, studio.pk])
        response = alice_client.post(
            url, {"name": "Studio", "quota": 5, "type": "reserved", "renew_with_subscription": "on"}
        )
        assert response.status_code == 200
        assert "quota" in response.context["form"].errors
    assert _keys(subscription) == before


@pytest.mark.parametrize("surface", SURFACES)
def test_deleting_a_sublicense_releases_its_installation_and_its_licenses(
    surface, alice_client, alice_api, company, subscription
):
    branch = factories.license_key_create(subscription, quota=8, name="Branch")
    server = proxy_server_create(branch, computers=3)
    if surface == "api":
        url = f"{base(company)}/subscriptions/{subscription.pk}/license-keys/{branch.pk}/"
        assert alice_api.delete(url).status_code == 204
    else:
        url = reverse("license_key_delete", args=[subscription.pk, branch.pk])
        assert alice_client.post(url).status_code == 302
    server.refresh_from_db()
    branch.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATED
    assert branch.deleted_at is not None
    # The licenses it reserved go back to the pool: a new reserved key may take all 10.
    error = _sublicense_create(
        surface, alice_client, alice_api, company, subscription, {"quota": 10, "type": "reserved"}
    )
    assert error is None


# --- memberships: the last Account Administrator, block, unblock -------------------------


def _member_action(surface, action, alice_client, alice_api, company, membership):
    """Run `action` on `membership` on `surface`; the error message, or None when done."""
    if surface == "api":
        url = f"{base(company)}/members/{membership.pk}/"
        response = {
            "demote": lambda: alice_api.patch(url, {"role": "member"}, format="json"),
            "block": lambda: alice_api.post(f"{url}block/"),
            "unblock": lambda: alice_api.post(f"{url}unblock/"),
            "delete": lambda: alice_api.delete(url),
        }[action]()
        return None if response.status_code in (200, 204) else response.json()["error"]["message"]
    if action == "demote":
        url = reverse("membership_detail", args=[membership.pk])
        data = {f"m{membership.pk}-role": "member", f"m{membership.pk}-notes": ""}
    else:
        url = reverse(f"membership_{action}", args=[membership.pk])
        data = {}
    response = alice_client.post(url, data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    form = response.context.get("form")
    if form is not None and form.errors:
        messages += [e for errors in form.errors.values() for e in errors]
    errors = [m for m in messages if "cannot" in m or "only" in m or "not blocked" in m]
    return " ".join(errors) or None


def _member_state(membership) -> tuple | None:
    row = Membership.objects.filter(pk=membership.pk).values_list("role", "status").first()
    return row


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("action", ["demote", "block", "delete"])
def test_the_last_active_administrator_stays(
    surface, action, alice_client, alice_api, alice, bob, company
):
    membership = Membership.objects.get(user=alice, account=company)
    error = _member_action(surface, action, alice_client, alice_api, company, membership)
    assert "only Account Administrator" in error
    assert _member_state(membership) == ("admin", "active")


@pytest.mark.parametrize("surface", SURFACES)
def test_a_member_is_blocked_and_unblocked_in_the_same_role(
    surface, alice_client, alice_api, bob, company
):
    membership = Membership.objects.get(user=bob, account=company)
    assert _member_action(surface, "block", alice_client, alice_api, company, membership) is None
    assert _member_state(membership) == ("member", "blocked")
    assert _member_action(surface, "unblock", alice_client, alice_api, company, membership) is None
    assert _member_state(membership) == ("member", "active")


@pytest.mark.parametrize("surface", SURFACES)
def test_an_active_member_cannot_be_unblocked(surface, alice_client, alice_api, bob, company):
    membership = Membership.objects.get(user=bob, account=company)
    error = _member_action(surface, "unblock", alice_client, alice_api, company, membership)
    assert error
    assert _member_state(membership) == ("member", "active")


@pytest.mark.parametrize("surface", SURFACES)
def test_a_deleted_member_loses_the_account(surface, alice_client, alice_api, bob, company):
    membership = Membership.objects.get(user=bob, account=company)
    assert _member_action(surface, "delete", alice_client, alice_api, company, membership) is None
    assert _member_state(membership) is None


# --- invitations ------------------------------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
def test_inviting_skips_members_and_pending_invitations(
    surface, alice_client, alice_api, alice, bob, company
):
    factories.invitation_create(company, "pending@example.com", invited_by=alice)
    emails = ["New@Example.com", "bob@example.com", "pending@example.com"]
    if surface == "api":
        response = alice_api.post(
            f"{base(company)}/invitations/", {"emails": emails}, format="json"
        )
        assert response.status_code == 201
    else:
        response = alice_client.post(
            reverse("invite_users"), {"emails": "\n".join(emails), "action": "send"}
        )
        assert response.status_code == 302
    pending = Invitation.objects.filter(account=company, status=Invitation.Status.PENDING)
    assert sorted(pending.values_list("email", flat=True)) == [
        "new@example.com",
        "pending@example.com",
    ]


# --- proxy servers ----------------------------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
def test_deactivating_a_proxy_server_releases_its_key(
    surface, alice_client, alice_api, company, subscription
):
    server = proxy_server_create(subscription.primary_key, computers=4)
    if surface == "api":
        response = alice_api.post(f"{base(company)}/proxy-servers/{server.pk}/deactivate/")
        assert response.status_code == 200
    else:
        response = alice_client.post(reverse("proxy_deactivate"), {"id": [server.pk]})
        assert response.status_code == 302
    server.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATED
    availability = license_key_availability(
        license_key=subscription.primary_key, today=timezone.localdate()
    )
    assert availability.used == 0
