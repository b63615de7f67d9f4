"""Who may see what of a license key, and how keys may be searched: one policy
(subscriptions.models.license_key_shown / license_key_search_q) on every surface.

alice administers the company, bob is a Regular Member. A key is all an installation
needs to activate, so only an Account Administrator sees it whole where keys are
managed; everyone else sees it masked but for its last group. Keys are found by their
whole value or their last group, never by a part: a substring search would let bob
rebuild a whole key one character at a time.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.api.conftest import api_client, token_for

pytestmark = pytest.mark.django_db

KEY = "ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2"
MASKED = "•••••-•••••-…-WXYZ2"


@pytest.fixture
def sublicense(subscription):
    return factories.license_key_create(subscription, quota=2, name="Design", key=KEY)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _keys_page(user, subscription) -> str:
    client = _client(user)
    return client.get(reverse("subscription_detail", args=[subscription.pk])).content.decode()


def _keys_api(user, subscription) -> str:
    url = (
        f"/api/v1/accounts/{subscription.account_id}/subscriptions/{subscription.pk}/license-keys/"
    )
    response = api_client(token_for(user)).get(url)
    assert response.status_code == 200
    return response.content.decode("unicode_escape")


SURFACES = {"page": _keys_page, "api": _keys_api}


@pytest.mark.parametrize("surface", list(SURFACES))
def test_a_regular_member_sees_license_keys_masked(surface, bob, subscription, sublicense):
    shown = SURFACES[surface](bob, subscription)
    assert MASKED in shown
    assert KEY not in shown
    assert subscription.primary_key.key not in shown


@pytest.mark.parametrize("surface", list(SURFACES))
def test_an_account_administrator_sees_license_keys_whole(surface, alice, subscription, sublicense):
    shown = SURFACES[surface](alice, subscription)
    assert KEY in shown
    assert subscription.primary_key.key in shown


def _search_page(user, subscription, term: str) -> list[int]:
    client = _client(user)
    response = client.get(reverse("subscription_list"), {"q": term, "display": "all"})
    return [s.pk for s in response.context["page"].object_list]


def _search_subscriptions_api(user, subscription, term: str) -> list[int]:
    url = f"/api/v1/accounts/{subscription.account_id}/subscriptions/"
    response = api_client(token_for(user)).get(url, {"search": term, "display": "all"})
    assert response.status_code == 200
    return [s["id"] for s in response.json()["results"]]


def _search_keys_api(user, subscription, term: str) -> list[int]:
    url = (
        f"/api/v1/accounts/{subscription.account_id}/subscriptions/{subscription.pk}/license-keys/"
    )
    response = api_client(token_for(user)).get(url, {"search": term})
    assert response.status_code == 200
    return [k["id"] for k in response.json()["results"]]


SEARCHES = {
    "page": (_search_page, lambda subscription, key: subscription.pk),
    "subscriptions_api": (_search_subscriptions_api, lambda subscription, key: subscription.pk),
    "license_keys_api": (_search_keys_api, lambda subscription, key: key.pk),
}


@pytest.mark.parametrize("surface", list(SEARCHES))
@pytest.mark.parametrize("part", ["ABCDE", "ABCDE-F", "RSTUV-WXYZ2", "FGHJK-LMNPQ", "GHJ"])
def test_search_never_matches_a_part_of_a_key(surface, part, bob, subscription, sublicense):
    search, _ = SEARCHES[surface]
    assert search(bob, subscription, part) == []


@pytest.mark.parametrize("surface", list(SEARCHES))
@pytest.mark.parametrize("term", [KEY, "abcde fghjk lmnpq rstuv wxyz2", "wxyz2"])
def test_search_finds_a_key_by_its_whole_value_or_last_group(
    surface, term, bob, subscription, sublicense
):
    search, expected = SEARCHES[surface]
    assert search(bob, subscription, term) == [expected(subscription, sublicense)]
