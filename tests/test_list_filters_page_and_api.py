"""The Proxy Servers and Subscriptions lists filter, search and sort alike on the page and
in the API: both read through one selector (proxies.selectors.proxy_server_list,
subscriptions.selectors.subscription_list). Every case runs against both surfaces.

alice administers "My Company, Inc.".
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from proxies.models import ProxyServer
from subscriptions.models import LicenseKey
from tests import factories
from tests.api.conftest import api_client, token_for
from tests.proxies import factories as proxy_factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def api(alice):
    return api_client(token_for(alice))


# --- Proxy Servers ------------------------------------------------------------------------


@pytest.fixture
def fleet(company):
    subscription = proxy_factories.subscription_create(company, licenses=100)
    for name, computers, status in [
        ("bravo", 7, ProxyServer.Status.ACTIVE),
        ("alpha", 3, ProxyServer.Status.ACTIVE),
        ("charlie", 5, ProxyServer.Status.DEACTIVATED),
    ]:
        key = proxy_factories.key_create(subscription, primary=False, quota=10)
        proxy_factories.proxy_create(
            company, key=key, server_name=name, registered_computers=computers, status=status
        )


def _proxies_page(page, api, company, params):
    response = page.get(reverse("proxy_list"), params)
    assert response.status_code == 200
    return [s.server_name for s in response.context["servers"]]


def _proxies_api(page, api, company, params):
    response = api.get(f"/api/v1/accounts/{company.pk}/proxy-servers/", params)
    assert response.status_code == 200
    return [s["server_name"] for s in response.json()["results"]]


@pytest.mark.parametrize("surface", [_proxies_page, _proxies_api], ids=["page", "api"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sort": "server_name"}, ["alpha", "bravo", "charlie"]),
        ({"sort": "-server_name"}, ["charlie", "bravo", "alpha"]),
        ({"display": "deactivated", "sort": "server_name"}, ["charlie"]),
        ({"q": "RAV", "sort": "server_name"}, ["bravo"]),
    ],
)
def test_proxy_servers_filter_and_sort_alike(surface, params, expected, page, api, company, fleet):
    assert surface(page, api, company, params) == expected


# --- Subscriptions ------------------------------------------------------------------------


@pytest.fixture
def subscriptions(company):
    today = timezone.localdate()
    factories.subscription_create(company, licenses=5, name="Zulu", days=100)
    factories.subscription_create(company, licenses=5, name="Beta", days=100)  # ties Zulu
    factories.subscription_create(company, licenses=50, name="Alpha", days=300)
    factories.subscription_create(
        company, licenses=20, name="Old", starts_on=today - timedelta(days=400), days=30
    )


def _subscriptions_page(page, api, company, params):
    params = {
        ("q" if k == "search" else "arrange" if k == "sort" else k): v for k, v in params.items()
    }
    response = page.get(reverse("subscription_list"), params)
    assert response.status_code == 200
    return [s.name for s in response.context["page"].object_list]


def _subscriptions_api(page, api, company, params):
    response = api.get(f"/api/v1/accounts/{company.pk}/subscriptions/", params)
    assert response.status_code == 200
    return [s["name"] for s in response.json()["results"]]


@pytest.mark.parametrize("surface", [_subscriptions_page, _subscriptions_api], ids=["page", "api"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"display": "all", "sort": "name"}, ["Alpha", "Beta", "Old", "Zulu"]),
        # Ties (Zulu and Beta) go by creation, in the sort's direction, on both.
        ({"display": "all", "sort": "-licenses"}, ["Alpha", "Old", "Beta", "Zulu"]),
        ({"display": "all", "sort": "licenses"}, ["Zulu", "Beta", "Old", "Alpha"]),
        ({"display": "active", "sort": "ends_on"}, ["Zulu", "Beta", "Alpha"]),
        ({"display": "active", "sort": "-ends_on"}, ["Alpha", "Beta", "Zulu"]),
        ({"display": "expired"}, ["Old"]),
        ({"display": "all", "search": "ulu"}, ["Zulu"]),
    ],
)
def test_subscriptions_filter_and_sort_alike(
    surface, params, expected, page, api, company, subscriptions
):
    assert surface(page, api, company, params) == expected


# --- License Keys -------------------------------------------------------------------------


@pytest.fixture
def keys(company):
    """100 licenses: Main (primary, uses 2), Design (reserved 10, uses 4), Audit (reserved
    20), Build (dynamic 30, uses 7, ends in 30 days), Canary (dynamic 30). The pool left:
    100 - 2 - 7 - (10 + 20) = 61."""
    subscription = proxy_factories.subscription_create(company, licenses=100)
    today = timezone.localdate()
    made = {}
    for name, type_, quota, used, expires_on in [
        ("Main", LicenseKey.Type.PRIMARY, None, 2, None),
        ("Design", LicenseKey.Type.RESERVED, 10, 4, None),
        ("Audit", LicenseKey.Type.RESERVED, 20, 0, None),
        ("Build", LicenseKey.Type.DYNAMIC, 30, 7, today + timedelta(days=30)),
        ("Canary", LicenseKey.Type.DYNAMIC, 30, 0, None),
    ]:
        made[name] = LicenseKey.objects.create(
            subscription=subscription,
            name=name,
            type=type_,
            quota=quota,
            renew_with_subscription=expires_on is None,
            expires_on=expires_on,
        )
        if used:
            proxy_factories.proxy_create(
                company, key=made[name], server_name=name, registered_computers=used
            )
    return subscription


def _keys_page(page, api, subscription, params):
    params = {("q" if k == "search" else k): v for k, v in params.items() if k != "page_size"}
    response = page.get(reverse("subscription_detail", args=[subscription.pk]), params)
    assert response.status_code == 200
    return [r.key.name for r in response.context["table"].rows]


def _keys_api(page, api, subscription, params):
    """Every page of the list, following `next`."""
    url = (
        f"/api/v1/accounts/{subscription.account_id}/subscriptions/{subscription.pk}/license-keys/"
    )
    response = api.get(url, params)
    names = []
    while True:
        assert response.status_code == 200
        names += [k["name"] for k in response.json()["results"]]
        if not response.json()["next"]:
            return names
        response = api.get(response.json()["next"])


KEY_SORTS = [
    ("type", ["Main", "Design", "Audit", "Build", "Canary"]),
    ("name", ["Audit", "Build", "Canary", "Design", "Main"]),
    # Build and Canary both have 30: ties go by creation, in the sort's direction.
    ("quota", ["Design", "Audit", "Build", "Canary", "Main"]),
    ("used", ["Audit", "Canary", "Main", "Design", "Build"]),
    ("vacant", ["Design", "Audit", "Build", "Canary", "Main"]),
    ("expires", ["Build", "Main", "Design", "Audit", "Canary"]),
]


@pytest.mark.parametrize("surface", [_keys_page, _keys_api], ids=["page", "api"])
@pytest.mark.parametrize(("sort", "ascending"), KEY_SORTS, ids=[s for s, _ in KEY_SORTS])
@pytest.mark.parametrize("page_size", [2, 25])
def test_license_keys_sort_alike_by_each_column_both_ways(
    surface, sort, ascending, page_size, page, api, keys
):
    # A page size of 2 puts a boundary between Build and Canary, equal on quota and on
    # their type: the API's keyset pages neither repeat nor skip them.
    assert surface(page, api, keys, {"sort": sort, "page_size": page_size}) == ascending
    descending = surface(page, api, keys, {"sort": f"-{sort}", "page_size": page_size})
    assert descending == ascending[::-1]


@pytest.mark.parametrize("surface", [_keys_page, _keys_api], ids=["page", "api"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "reserved"}, ["Design", "Audit"]),
        ({"type": "dynamic", "sort": "-vacant"}, ["Canary", "Build"]),
        ({"type": "primary"}, ["Main"]),
        ({"search": "esig"}, ["Design"]),
        ({"search": "esig", "type": "dynamic"}, []),
    ],
)
def test_license_keys_filter_alike_on_page_and_api(surface, params, expected, page, api, keys):
    assert surface(page, api, keys, params) == expected


@pytest.mark.parametrize("surface", [_keys_page, _keys_api], ids=["page", "api"])
def test_license_keys_with_equal_values_cross_a_page_boundary_once_each(
    surface, page, api, company
):
    subscription = proxy_factories.subscription_create(company, licenses=100)
    for i in range(7):
        LicenseKey.objects.create(
            subscription=subscription, name=f"Same {i}", type=LicenseKey.Type.RESERVED, quota=5
        )
    expected = [f"Same {i}" for i in range(7)]
    for sort in ("quota", "vacant", "used", "expires", "type"):
        assert surface(page, api, subscription, {"sort": sort, "page_size": 3}) == expected
        reverse_order = surface(page, api, subscription, {"sort": f"-{sort}", "page_size": 3})
        assert reverse_order == expected[::-1]


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "-password", "type": "master"},
        {"sort": "\x00", "type": "", "q": "x" * 5000},
        {"sort": "", "type": "'; DROP TABLE"},
    ],
)
def test_the_license_keys_table_answers_a_hand_edited_query_with_its_defaults(
    query, page, api, keys
):
    assert _keys_page(page, api, keys, query) == ["Main", "Design", "Audit", "Build", "Canary"]


def test_the_license_keys_api_refuses_an_unknown_sort_or_type(api, keys):
    url = f"/api/v1/accounts/{keys.account_id}/subscriptions/{keys.pk}/license-keys/"
    for params in ({"sort": "-password"}, {"type": "master"}):
        response = api.get(url, params)
        assert response.status_code == 400
        assert response.json()["error"]["fields"]


def test_the_license_keys_api_refuses_a_cursor_of_another_sort(api, keys):
    # A cursor holds the last row's value of its own column (a name here): sent with
    # another sort it would compare a name with a number.
    url = f"/api/v1/accounts/{keys.account_id}/subscriptions/{keys.pk}/license-keys/"
    first = api.get(url, {"sort": "name", "page_size": 2}).json()
    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]
    response = api.get(url, {"sort": "quota", "page_size": 2, "cursor": cursor})
    # Not one this list (in this order) gave out: 404, like an unknown id.
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "invalid_cursor"
