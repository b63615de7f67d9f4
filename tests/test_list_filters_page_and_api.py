"""The Proxy Servers and Subscriptions lists filter, search and sort alike on the page and
in the API: both read through one selector (proxies.selectors.proxy_server_list,
subscriptions.selectors.subscription_list). Every case runs against both surfaces.

alice administers "My Company, Inc.".
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from proxies.models import ProxyServer
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
