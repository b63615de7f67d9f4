from __future__ import annotations

from django.urls import reverse

from proxies.models import ProxyListPreference
from proxies.selectors import DEFAULT_COLUMNS
from tests.proxies import factories as f

URL = reverse("proxy_list")
COLUMNS_URL = reverse("proxy_columns")


def shown(response) -> list[str]:
    return [c.key for c in response.context["columns"]]


def test_it_shows_the_guides_default_columns(alice_client, company):
    f.proxy_create(company)
    assert shown(alice_client.get(URL)) == list(DEFAULT_COLUMNS)


def test_the_gear_picks_columns_and_keeps_them_per_user(alice_client, bob_client, company):
    f.proxy_create(company, site_description="Basement rack", notes="Call Ann first")
    response = alice_client.post(
        COLUMNS_URL,
        {"columns": ["notes", "site_description", "registered_computers"], "next": URL + "?q=x"},
    )
    assert response.status_code == 302
    assert response.url == URL + "?q=x"

    response = alice_client.get(URL)
    # The server name always shows (it opens the details); the rest in the guide's order.
    assert shown(response) == ["server_name", "site_description", "registered_computers", "notes"]
    html = response.content.decode()
    assert "Basement rack" in html and "Call Ann first" in html
    assert "App Version" not in html.split("<table")[1]
    # Bob's choice is his own.
    assert shown(bob_client.get(URL)) == list(DEFAULT_COLUMNS)


def test_a_regular_member_picks_their_own_columns(bob, bob_client, company):
    # Columns are the user's own view, not account data: members choose theirs too.
    bob_client.post(COLUMNS_URL, {"columns": ["max_computers"]})
    assert ProxyListPreference.objects.get(user=bob).columns == ["server_name", "max_computers"]


def test_unknown_columns_are_ignored(alice, alice_client, company):
    alice_client.post(COLUMNS_URL, {"columns": ["site_code", "password"]})
    assert ProxyListPreference.objects.filter(user=alice).count() == 0  # invalid form
    alice_client.post(COLUMNS_URL, {"columns": ["site_code"], "next": "https://evil.example/"})
    assert ProxyListPreference.objects.get(user=alice).columns == ["server_name", "site_code"]


def test_an_offsite_next_is_not_followed(alice_client, company):
    response = alice_client.post(
        COLUMNS_URL, {"columns": ["site_code"], "next": "https://evil.example/"}
    )
    assert response.url == URL


def test_every_column_renders(alice_client, company):
    f.proxy_create(company, notes="n", site_description="d")
    from proxies.selectors import COLUMNS

    alice_client.post(COLUMNS_URL, {"columns": [c.key for c in COLUMNS]})
    response = alice_client.get(URL)
    html = response.content.decode()
    for column in COLUMNS:
        assert str(column.label) in html
