from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from proxies import selectors
from proxies.models import ProxyServer
from proxies.views import PAGE_SIZE
from subscriptions.models import LicenseKey
from tests.proxies import factories as f

URL = reverse("proxy_list")


def names(response) -> list[str]:
    return [s.server_name for s in response.context["servers"]]


@pytest.fixture
def fleet(company):
    """One server of each kind the Display drop-down tells apart."""
    today = timezone.localdate()
    return {
        "fine": f.proxy_create(company, server_name="alpha", site_code="A01"),
        "soon": f.proxy_create(
            company, server_name="bravo", site_code="B02", ends_on=today + timedelta(days=10)
        ),
        "today": f.proxy_create(company, server_name="charlie-box", ends_on=today),
        "expired": f.proxy_create(
            company, server_name="delta", site_code="D04", ends_on=today - timedelta(days=1)
        ),
        "gone": f.proxy_create(
            company,
            server_name="echo",
            site_description="Basement rack",
            status=ProxyServer.Status.DEACTIVATED,
            ends_on=today - timedelta(days=1),
        ),
        "later": f.proxy_create(company, server_name="foxtrot", ends_on=today + timedelta(days=31)),
    }


def test_it_lists_the_accounts_servers_with_the_guides_columns(alice_client, fleet):
    response = alice_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Proxy Servers (6)" in html
    for label in ["Server Name", "License Key", "Site Code", "Offline Use", "App Version"]:
        assert label in html
    assert names(response) == ["alpha", "bravo", "charlie-box", "delta", "echo", "foxtrot"]


def test_the_license_key_is_masked_but_for_its_last_characters(alice_client, company):
    subscription = f.subscription_create(company)
    key = f.key_create(subscription, key="ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2")
    f.proxy_create(company, key=key)
    html = alice_client.get(URL).content.decode()
    assert "•••••-•••••-…-WXYZ2" in html
    assert "ABCDE" not in html


def test_the_display_filter_counts_each_choice(alice_client, fleet):
    response = alice_client.get(URL)
    assert response.context["counts"] == {
        "all": 6,
        "expiring": 2,  # bravo (10 days), charlie-box (ends today); not foxtrot (31 days)
        "expired": 1,  # delta; echo is expired too but listed under Deactivated
        "silent": 5,  # none has reported since its activation, over 7 days ago
        "deactivated": 1,
        "blacklisted": 0,  # tests/proxies/test_blacklist.py fills it
    }
    html = response.content.decode()
    assert "Expiring soon (2)" in html
    assert "Deactivated (1)" in html


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("all", ["alpha", "bravo", "charlie-box", "delta", "echo", "foxtrot"]),
        ("expiring", ["bravo", "charlie-box"]),
        ("expired", ["delta"]),
        ("deactivated", ["echo"]),
        ("nonsense", ["alpha", "bravo", "charlie-box", "delta", "echo", "foxtrot"]),
    ],
)
def test_the_display_filter_shows_its_servers(alice_client, fleet, display, expected):
    assert names(alice_client.get(URL, {"display": display})) == expected


def test_a_sublicense_that_ends_before_its_subscription_counts_as_expiring(alice_client, company):
    today = timezone.localdate()
    subscription = f.subscription_create(company, ends_on=today + timedelta(days=200))
    key = f.key_create(subscription, primary=False, quota=3, expires_on=today + timedelta(days=5))
    f.proxy_create(company, key=key, server_name="sub")
    assert names(alice_client.get(URL, {"display": "expiring"})) == ["sub"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ALPHA", ["alpha"]),  # server name, any case
        ("d04", ["delta"]),  # site code
        ("basement", ["echo"]),  # site description
    ],
)
def test_search_looks_at_name_site_code_description(alice_client, fleet, q, expected):
    assert names(alice_client.get(URL, {"q": q})) == expected


def test_search_finds_a_server_by_its_key(alice_client, company):
    subscription = f.subscription_create(company)
    key = f.key_create(subscription, key="ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2")
    f.proxy_create(company, key=key, server_name="keyed")
    f.proxy_create(company, server_name="other")
    assert names(alice_client.get(URL, {"q": "abcde fghjk lmnpq rstuv wxyz2"})) == ["keyed"]
    # The last group is what the list shows, masked; it finds the key too.
    assert names(alice_client.get(URL, {"q": "wxyz2"})) == ["keyed"]


def test_search_never_matches_a_part_of_a_key(bob_client, company):
    # A substring search would let a Regular Member, who sees keys masked, rebuild a
    # whole key one character at a time.
    subscription = f.subscription_create(company)
    key = f.key_create(subscription, key="ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2")
    f.proxy_create(company, key=key, server_name="keyed")
    for part in ("ABCDE", "ABCDE-F", "RSTUV-WXYZ2", "FGHJK-LMNPQ"):
        assert names(bob_client.get(URL, {"q": part})) == [], part


def test_search_narrows_the_counts_too(alice_client, fleet):
    # Keys never hold the letter O, so "o" matches names only.
    response = alice_client.get(URL, {"q": "o", "display": "deactivated"})
    assert names(response) == ["echo"]
    assert response.context["counts"] == {
        "all": 4,  # bravo, charlie-box, echo, foxtrot
        "expiring": 2,
        "expired": 0,
        "silent": 3,
        "deactivated": 1,
        "blacklisted": 0,
    }


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("server_name", ["a", "b", "c"]),
        ("-server_name", ["c", "b", "a"]),
        ("site_code", ["c", "a", "b"]),
        ("-registered_computers", ["b", "c", "a"]),
        ("max_computers", ["b", "a", "c"]),
        ("-activation_date", ["a", "c", "b"]),
        ("last_report_date", ["c", "b", "a"]),
        ("app_version", ["b", "a", "c"]),
        ("notes", ["c", "b", "a"]),
    ],
)
def test_it_sorts_by_any_column_both_ways(alice_client, company, sort, expected):
    now = timezone.now()
    f.proxy_create(
        company,
        server_name="a",
        site_code="M",
        registered_computers=1,
        licenses=20,
        activated_at=now,
        last_report_at=now,
        app_version="6.1",
        notes="zz",
    )
    f.proxy_create(
        company,
        server_name="b",
        site_code="Z",
        registered_computers=9,
        licenses=5,
        activated_at=now - timedelta(days=9),
        last_report_at=now - timedelta(days=1),
        app_version="6.0",
        notes="mm",
    )
    f.proxy_create(
        company,
        server_name="c",
        site_code="A",
        registered_computers=5,
        licenses=50,
        activated_at=now - timedelta(days=1),
        last_report_at=now - timedelta(days=2),
        app_version="7.0",
        notes="aa",
    )
    assert names(alice_client.get(URL, {"sort": sort})) == expected


def test_every_column_can_be_sorted(alice_client, fleet):
    from proxies.selectors import COLUMNS

    for column in COLUMNS:
        for sort in (column.key, f"-{column.key}"):
            response = alice_client.get(URL, {"sort": sort})
            assert response.status_code == 200
            assert len(response.context["servers"]) == 6


def test_the_sorted_column_says_so(alice_client, fleet):
    html = alice_client.get(URL, {"sort": "-site_code"}).content.decode()
    assert 'aria-sort="descending"' in html
    assert "?sort=site_code" in html  # clicking again sorts the other way


def test_rows_over_their_license_limit_stand_out(alice_client, company):
    f.proxy_create(company, server_name="crowded", licenses=2, registered_computers=3)
    f.proxy_create(company, server_name="roomy", licenses=5, registered_computers=5)
    response = alice_client.get(URL)
    over = {s.server_name: s.over_limit for s in response.context["servers"]}
    assert over == {"crowded": True, "roomy": False}
    html = response.content.decode()
    row = re.search(r'<tr class="([^"]*)" data-name="crowded"', html).group(1)
    assert "over-limit" in row
    # In words, not only in red: by how much, of what.
    assert "Over the limit by 1: 3 in use, 2 licenses" in html
    assert html.count("Over the limit by") == 1


def test_a_sublicense_counts_its_quota_as_max_managed_computers(alice_client, company):
    subscription = f.subscription_create(company, licenses=100)
    key = f.key_create(subscription, primary=False, quota=4)
    f.proxy_create(company, key=key, registered_computers=6)
    server = alice_client.get(URL).context["servers"][0]
    assert (server.max_computers, server.over_limit) == (4, True)


def test_it_paginates(alice_client, company):
    f.proxies_bulk_create(company, PAGE_SIZE + 3)
    first = alice_client.get(URL)
    assert len(first.context["servers"]) == PAGE_SIZE
    assert 'rel="next"' in first.content.decode()
    second = alice_client.get(URL, {"page": 2})
    assert names(second) == [f"srv-{i:05d}" for i in range(PAGE_SIZE, PAGE_SIZE + 3)]
    assert alice_client.get(URL, {"page": 99}).context["page"].number == 2
    assert alice_client.get(URL, {"page": "x"}).context["page"].number == 1


def test_pages_never_overlap_when_sort_values_tie(alice_client, company):
    f.proxies_bulk_create(company, PAGE_SIZE + 10)  # 100 distinct site codes, many ties
    seen = []
    for page in (1, 2):
        seen += names(alice_client.get(URL, {"sort": "registered_computers", "page": page}))
    assert len(seen) == len(set(seen)) == PAGE_SIZE + 10


@pytest.fixture
def no_session_tracking(settings):
    # allauth's per-request "last seen" bookkeeping is not the page's: leave it out of
    # the count (its queries vary with timing).
    settings.USERSESSIONS_TRACK_ACTIVITY = False


def test_the_list_runs_a_fixed_number_of_queries(
    alice_client, company, django_assert_num_queries, no_session_tracking
):
    f.proxies_bulk_create(company, 500)
    # 1 session, 2 user, 3 the SSO domain of the user's address, 4 memberships (the
    # current account), 5 the user's columns, 6 the Display counts (one aggregate, with
    # the navigation's total), 7 one page of servers with their key and subscription
    # (select_related), 8 the live keys of the page's subscriptions with their usage (over
    # the limit by the pool rule), 9 the product navigation's product with its
    # subscription count.
    with django_assert_num_queries(9):
        response = alice_client.get(URL, {"sort": "-max_computers"})
    assert len(response.context["servers"]) == PAGE_SIZE
    assert response.context["counts"]["all"] == 500


def test_the_query_count_does_not_grow_with_the_servers(alice_client, company, no_session_tracking):
    f.proxies_bulk_create(company, 3, prefix="few")
    with CaptureQueriesContext(connection) as few:
        alice_client.get(URL)
    f.proxies_bulk_create(company, 200, prefix="many")
    with CaptureQueriesContext(connection) as many:
        alice_client.get(URL, {"q": "many", "sort": "-notes", "page": 2})
    assert len(few) == len(many)


# The guide's review: over the limit by the pool rule, the product navigation, labels


def test_a_server_is_over_the_limit_when_its_key_is_by_the_pool_rule(alice_client, company):
    subscription = f.subscription_create(company, licenses=10)
    primary = f.key_create(subscription)
    reserved = f.key_create(subscription, primary=False, quota=8)
    dynamic = LicenseKey.objects.create(
        subscription=subscription, type=LicenseKey.Type.DYNAMIC, name="Dyn", quota=5
    )
    # The dynamic key uses 3 of its 5, within its quota; but the pool is 10 - 8 reserved
    # - 3 - 1 = -2: the License Keys table shows the dynamic and primary keys over.
    f.proxy_create(company, key=dynamic, server_name="dyn", registered_computers=3)
    f.proxy_create(company, key=primary, server_name="prim", registered_computers=1)
    f.proxy_create(company, key=reserved, server_name="res", registered_computers=8)
    table = selectors.license_key_table(subscription=subscription, today=timezone.localdate())
    over_in_table = {row.key.pk for row in table.rows if row.over_limit}
    assert over_in_table == {primary.pk, dynamic.pk}
    response = alice_client.get(URL)
    flagged = {s.server_name for s in response.context["servers"] if s.over_limit}
    assert flagged == {"dyn", "prim"}
    page = response.content.decode()
    assert page.count('badge badge--danger over-limit-flag" title=') == 2


def test_a_deactivated_server_is_never_over_the_limit(alice_client, company):
    f.proxy_create(
        company,
        server_name="gone",
        licenses=1,
        registered_computers=5,
        status=ProxyServer.Status.DEACTIVATED,
    )
    assert [s.over_limit for s in alice_client.get(URL).context["servers"]] == [False]


def test_the_page_has_the_product_navigation_and_the_guides_labels(alice_client, company, fleet):
    page = alice_client.get(URL, {"q": "alpha"}).content.decode()
    assert '<nav class="product-nav"' in page
    assert "Dashboard</a>" in page
    # "Proxy Servers (N)" counts what the link shows (All), whatever the search.
    assert 'aria-current="page">Proxy Servers (6)</a>' in page
    assert "Offline Activation and Validation" in page
    assert '<label for="proxy-display">Display:</label>' in page
    assert '<select id="proxy-display" name="display"' in page


def test_the_all_list_badges_servers_whose_key_is_expiring_soon_or_expired(alice_client, company):
    today = timezone.localdate()
    f.proxy_create(company, server_name="soon", ends_on=today + timedelta(days=10))
    f.proxy_create(company, server_name="past", ends_on=today - timedelta(days=1))
    f.proxy_create(company, server_name="fine", ends_on=today + timedelta(days=200))
    html = alice_client.get(URL, {"display": "all"}).content.decode()

    def badges(name: str) -> list[str]:
        row = re.search(rf'data-name="{name}">(.*?)</tr>', html, re.S).group(1)
        return re.findall(r'<span class="badge[^"]*">([^<]+)</span>', row)

    assert badges("soon") == ["Expiring soon"]
    assert badges("past") == ["Expired"]
    assert badges("fine") == []
