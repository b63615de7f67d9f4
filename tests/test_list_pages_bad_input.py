"""Every list page, fed a hand-edited or hostile query string, answers with its
defaults (or a form error) — never a 500 — and shows only the account's own rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.proxies import factories as proxy_factories

GARBAGE = [
    {"display": "everything", "arrange": "price", "sort": "-password", "page": "abc"},
    {"q": "x" * 5000, "page": "-1", "role": "owner", "status": "'; DROP TABLE", "sort": "\x00"},
    {"page": "99999999999999999999", "display": "", "arrange": "", "since": "yesterday"},
    {"action": "é\u202e", "person": "-5", "since": "2026-13-45", "until": "never"},
    {"columns": "password", "id": "not-a-number"},
]

LIST_PAGES = [
    "subscription_list",
    "proxy_list",
    "business_users",
    "audit_log",
    "usage_reports",
    "dashboard",
    "webhook_endpoints",
]


@pytest.mark.parametrize("name", LIST_PAGES)
@pytest.mark.parametrize("query", GARBAGE, ids=range(len(GARBAGE)))
def test_a_list_page_survives_a_hand_edited_query(
    alice_client, company, other_company, name, query
):
    proxy_factories.proxy_create(company, server_name="ours")
    proxy_factories.proxy_create(other_company, server_name="theirs")
    response = alice_client.get(reverse(name), query)
    assert response.status_code == 200
    assert "theirs" not in response.content.decode()


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_list_page_survives_bytes_that_are_not_utf8(alice_client, company, name):
    # A lone surrogate and a stray byte, percent-encoded as a hostile client sends them.
    response = alice_client.get(f"{reverse(name)}?q=%ED%A0%80%FF&sort=%FF&page=%00")
    assert response.status_code == 200


@pytest.mark.parametrize("query", GARBAGE, ids=range(len(GARBAGE)))
def test_the_csv_export_survives_a_hand_edited_query(alice_client, company, other_company, query):
    proxy_factories.proxy_create(company, server_name="ours")
    proxy_factories.proxy_create(other_company, server_name="theirs")
    response = alice_client.get(reverse("proxy_export"), query)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "theirs" not in body
