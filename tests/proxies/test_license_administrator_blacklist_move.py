"""A License Administrator blacklists, lifts and moves the proxy servers of the keys they
administer — on the pages and through the API — and nothing else: lena administers
"Branch" and "Branch 2" of My Company's "Branch Office"; "Headquarters" is not hers. A
server of another key is not found (404), a move to a key she does not administer is not
found either, and nothing changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from proxies.models import ProxyServer
from tests import factories
from tests.api.conftest import api_client, token_for
from tests.proxies import factories as f

pytestmark = pytest.mark.django_db

BASE = "/api/v1/accounts/{account}/proxy-servers/{proxy}/"


@pytest.fixture
def branch_server(company, lena_key):
    return f.proxy_create(company, key=lena_key, server_name="Branch site")


@pytest.fixture
def branch_two(lena, lena_key):
    key = factories.license_key_create(lena_key.subscription, quota=2, name="Branch 2")
    factories.license_key_administrator_create(lena, key)
    return key


@pytest.fixture
def headquarters(lena_key):
    return factories.license_key_create(lena_key.subscription, quota=2, name="Headquarters")


@pytest.fixture
def hq_server(company, headquarters):
    return f.proxy_create(company, key=headquarters, server_name="Headquarters site")


def _state(server: ProxyServer) -> tuple:
    server.refresh_from_db()
    return (server.status, server.blacklisted_at, server.license_key_id)


def test_she_blacklists_and_lifts_her_keys_server_on_the_pages(lena_client, branch_server):
    page = lena_client.get(reverse("proxy_detail", args=[branch_server.pk]))
    assert ">Blacklist<" in page.text and ">Move to another key<" in page.text

    response = lena_client.post(reverse("proxy_blacklist"), {"id": [branch_server.pk]})
    assert response.status_code == 302
    branch_server.refresh_from_db()
    assert branch_server.blacklisted_at is not None
    assert branch_server.status == ProxyServer.Status.DEACTIVATED

    response = lena_client.post(reverse("proxy_unblacklist", args=[branch_server.pk]))
    assert response.status_code == 302
    branch_server.refresh_from_db()
    assert branch_server.blacklisted_at is None


def test_another_keys_server_is_not_found_and_stays_as_it_was(lena_client, hq_server):
    before = _state(hq_server)
    response = lena_client.post(reverse("proxy_blacklist"), {"id": [hq_server.pk]})
    assert response.status_code == 404
    assert lena_client.get(reverse("proxy_move", args=[hq_server.pk])).status_code == 404
    assert _state(hq_server) == before


def test_she_moves_her_server_only_to_a_key_she_administers(
    lena_client, branch_server, branch_two, headquarters
):
    page = lena_client.get(reverse("proxy_move", args=[branch_server.pk]))
    assert "Branch 2" in page.text and "Headquarters" not in page.text

    before = _state(branch_server)
    response = lena_client.post(
        reverse("proxy_move", args=[branch_server.pk]), {"license_key": headquarters.pk}
    )
    assert response.status_code in (200, 400)  # the form says the choice is not offered
    assert _state(branch_server) == before

    response = lena_client.post(
        reverse("proxy_move", args=[branch_server.pk]), {"license_key": branch_two.pk}
    )
    assert response.status_code == 302
    branch_server.refresh_from_db()
    assert branch_server.license_key_id == branch_two.pk


def test_her_api_token_blacklists_and_moves_her_servers_only(
    company, lena, branch_server, branch_two, headquarters, hq_server
):
    api = api_client(token_for(lena))
    mine = BASE.format(account=company.pk, proxy=branch_server.pk)
    theirs = BASE.format(account=company.pk, proxy=hq_server.pk)

    before = _state(hq_server)
    assert api.post(theirs + "blacklist/").status_code == 404
    assert api.post(theirs + "move/", {"license_key_id": branch_two.pk}).status_code == 404
    assert _state(hq_server) == before

    before = _state(branch_server)
    refused = api.post(mine + "move/", {"license_key_id": headquarters.pk}, format="json")
    assert refused.status_code == 404
    assert _state(branch_server) == before

    moved = api.post(mine + "move/", {"license_key_id": branch_two.pk}, format="json")
    assert moved.status_code == 200, moved.json()
    assert _state(branch_server)[2] == branch_two.pk

    blacklisted = api.post(mine + "blacklist/")
    assert blacklisted.status_code == 200, blacklisted.json()
    assert blacklisted.json()["blacklisted_at"]
