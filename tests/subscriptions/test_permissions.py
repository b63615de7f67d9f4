"""Who may do what: alice administers the company, bob is a Regular Member, dave is
blocked, charlie administers another company, and an anonymous visitor."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog
from subscriptions.models import LicenseKey, Subscription
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(subscription):
    key = factories.license_key_create(subscription, quota=2, name="Design")
    return subscription, key


@pytest.fixture
def clients(alice_client, bob_client, dave_client, charlie_client):
    return {
        "alice": alice_client,
        "bob": bob_client,
        "dave": dave_client,
        "charlie": charlie_client,
        "anonymous": Client(),
    }


def _pages(subscription, key):
    return {
        "list": reverse("subscription_list"),
        "detail": reverse("subscription_detail", args=[subscription.pk]),
        "create": reverse("license_key_create", args=[subscription.pk]),
        "update": reverse("license_key_update", args=[subscription.pk, key.pk]),
        "delete": reverse("license_key_delete", args=[subscription.pk, key.pk]),
        "rename": reverse("subscription_rename", args=[subscription.pk]),
    }


# GET: who sees what. dave's block makes his current account his personal one, so the
# company's subscription is not there for him (404), like for charlie.
GET_EXPECTED = {
    "alice": {"detail": 200, "create": 200, "update": 200, "delete": 200, "rename": 200},
    "bob": {"detail": 200, "create": 403, "update": 403, "delete": 403, "rename": 403},
    "dave": {"detail": 404, "create": 404, "update": 404, "delete": 404, "rename": 404},
    "charlie": {"detail": 404, "create": 404, "update": 404, "delete": 404, "rename": 404},
    "anonymous": {"detail": 302, "create": 302, "update": 302, "delete": 302, "rename": 302},
}


@pytest.mark.parametrize("who", list(GET_EXPECTED))
def test_pages(clients, scene, who):
    subscription, key = scene
    pages = _pages(subscription, key)
    for name, status in GET_EXPECTED[who].items():
        assert clients[who].get(pages[name]).status_code == status, name


def test_a_regular_member_sees_the_pages_without_actions(bob_client, scene):
    subscription, key = scene
    page = bob_client.get(reverse("subscription_detail", args=[subscription.pk])).content.decode()
    assert "Design" in page
    assert "Create License Key" not in page
    assert "Settings of Design" not in page
    assert "Rename" not in page
    assert key.key not in page and subscription.primary_key.key not in page  # masked


def _state():
    return (
        list(Subscription.objects.order_by("pk").values_list("name", "account_id", "licenses")),
        list(
            LicenseKey.objects.order_by("pk").values_list(
                "name", "quota", "type", "expires_on", "deleted_at"
            )
        ),
        AuditLog.objects.count(),
    )


POSTS = {
    "create": {"name": "New", "quota": 1, "type": "reserved", "renew_with_subscription": "on"},
    "update": {"name": "Changed", "quota": 1, "type": "reserved", "renew_with_subscription": "on"},
    "delete": {},
    "rename": {"name": "Mine now"},
}
POST_EXPECTED = {"bob": 403, "dave": 404, "charlie": 404, "anonymous": 302}


@pytest.mark.parametrize("who", list(POST_EXPECTED))
@pytest.mark.parametrize("action", list(POSTS))
def test_posts_are_refused_and_change_nothing(clients, scene, who, action):
    subscription, key = scene
    before = _state()
    response = clients[who].post(_pages(subscription, key)[action], POSTS[action])
    assert response.status_code == POST_EXPECTED[who]
    assert _state() == before


@pytest.mark.parametrize("action", list(POSTS))
def test_alice_may_do_each(alice_client, scene, action):
    subscription, key = scene
    before = _state()
    response = alice_client.post(_pages(subscription, key)[action], POSTS[action])
    assert response.status_code == 302
    assert _state() != before


def test_another_accounts_ids_answer_404_even_to_an_administrator(alice_client, other_subscription):
    key = factories.license_key_create(other_subscription, quota=1)
    for url in _pages(other_subscription, key).values():
        if url == reverse("subscription_list"):
            continue
        assert alice_client.get(url).status_code == 404
        assert (
            alice_client.post(url, {"name": "x", "quota": 1, "type": "reserved"}).status_code == 404
        )


def test_a_key_of_another_subscription_answers_404(alice_client, company, subscription):
    second = factories.subscription_create(company)
    key = factories.license_key_create(second, quota=1)
    url = reverse("license_key_update", args=[subscription.pk, key.pk])
    assert alice_client.get(url).status_code == 404


def test_the_list_shows_only_the_current_accounts_subscriptions(
    charlie_client, scene, other_subscription
):
    response = charlie_client.get(reverse("subscription_list"), {"display": "all"})
    assert list(response.context["page"].object_list) == [other_subscription]
