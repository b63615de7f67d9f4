"""Every list page and every API list runs the same number of queries with 1 row as with
50: nothing is read once per row. The queries are named in each case's comment.

alice administers "My Company, Inc."; allauth's per-request "last seen" bookkeeping is
switched off (its queries vary with timing and are not the page's).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Invitation, Membership, User
from api.models import ApiToken
from proxies.models import UsageReport
from reports.models import WeeklyReport
from subscriptions.models import Download, LicenseKey
from tests import factories
from tests.api.conftest import api_client, token_for
from tests.proxies import factories as proxy_factories
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db

ROWS = [1, 50]


@pytest.fixture(autouse=True)
def _no_session_tracking(settings):
    settings.USERSESSIONS_TRACK_ACTIVITY = False


@pytest.fixture
def api(alice):
    return api_client(token_for(alice))


# --- scenes with n rows ------------------------------------------------------------------


def _proxies(company, n):
    return proxy_factories.proxies_bulk_create(company, n)


def _keys(company, n):
    """A subscription whose License Keys table has n rows, every other key in use."""
    subscription = factories.subscription_create(company, licenses=10 * n, name="Fleet")
    LicenseKey.objects.bulk_create(
        LicenseKey(subscription=subscription, name=f"Key {i}", type="dynamic", quota=2)
        for i in range(n - 1)
    )
    for key in subscription.license_keys.all()[::2]:
        proxy_server_create(key, computers=1)
    return subscription


def _subscriptions(company, n):
    return [factories.subscription_create(company, licenses=5) for _ in range(n)]


def _members(company, n):
    """n members in all, alice included."""
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"m{i}@example.com", first_name=f"M{i}", password=password) for i in range(n - 1)
    )
    Membership.objects.bulk_create(Membership(user=u, account=company) for u in users)


def _invitations(company, n):
    expires = timezone.now() + timedelta(days=7)
    Invitation.objects.bulk_create(
        Invitation(account=company, email=f"i{i}@example.com", expires_at=expires) for i in range(n)
    )


def _audit(company, n):
    AuditLog.objects.bulk_create(
        AuditLog(account=company, channel="web", action="membership.created", target_label=f"{i}")
        for i in range(n)
    )


def _weekly_reports(company, n):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    WeeklyReport.objects.bulk_create(
        WeeklyReport(account=company, week_start=monday - timedelta(weeks=i), licenses=10, peak=i)
        for i in range(n)
    )


# --- pages: 1 session, 2 user, 3 the SSO domain of the user's address, ---------------------
# --- 4 the user's memberships (the current account), then ----------------------------------


@pytest.mark.parametrize("n", ROWS)
def test_proxy_servers(n, alice_client, company, django_assert_num_queries):
    _proxies(company, n)
    # 5 the user's columns, 6 the Display counts (one aggregate), 7 the page of servers
    # with their key and subscription, 8 the live keys of the page's subscriptions with
    # their usage (over the limit by the pool rule), 9 the product navigation.
    with django_assert_num_queries(9):
        response = alice_client.get("/proxy-servers/")
    assert response.context["counts"]["all"] == n


@pytest.mark.parametrize("n", ROWS)
def test_the_license_keys_table(n, alice_client, company, django_assert_num_queries):
    subscription = _keys(company, n)
    # 5 the subscription with its product, 6 its live keys, 7 their usage (one grouped
    # query over the proxies), 8 the listed keys in the chosen order (sorted by the
    # database), 9 its orders, 10 Product Subscriptions (N), 11 proxy servers per product.
    with django_assert_num_queries(11):
        response = alice_client.get(reverse("subscription_detail", args=[subscription.pk]))
    assert len(response.context["table"].rows) == n


@pytest.mark.parametrize("n", ROWS)
def test_the_subscriptions_list(n, alice_client, company, django_assert_num_queries):
    _subscriptions(company, n)
    # 5 the product, 6 the Display counts, 7 the paginator's count, 8 Product
    # Subscriptions (N), 9 proxy servers per product, 10 the page of subscriptions.
    with django_assert_num_queries(10):
        response = alice_client.get(reverse("subscription_list"), {"display": "all"})
    assert response.context["counts"]["all"] == n


@pytest.mark.parametrize("n", ROWS)
def test_business_account_users(n, alice_client, company, django_assert_num_queries):
    _members(company, n)
    # 5 the Role and Status counts with the active admins (one aggregate), 6 the
    # paginator's count, 7 the pending invitations, 8 the page of members with their users.
    with django_assert_num_queries(8):
        response = alice_client.get(reverse("business_users"))
    assert response.context["counts"]["all"] == n


@pytest.mark.parametrize("n", ROWS)
def test_business_account_users_with_invitations(
    n, alice_client, company, django_assert_num_queries
):
    _invitations(company, n)
    # The same 8: the pending invitations are one query (7), however many.
    with django_assert_num_queries(8):
        response = alice_client.get(reverse("business_users"))
    assert len(response.context["invitations"]) == n


@pytest.mark.parametrize("n", ROWS)
def test_the_audit_log(n, alice_client, company, django_assert_num_queries):
    _audit(company, n)
    # 5 the actions (the Action filter, a loose index scan), 6 the page of entries (one
    # more tells whether an older page exists: keyset pages count nothing). The tabs'
    # member count comes with the memberships (4), as the account selector's does.
    with django_assert_num_queries(6):
        response = alice_client.get(reverse("audit_log"))
    assert len(response.context["page"].entries) == min(n, 50)


@pytest.mark.parametrize("n", ROWS)
def test_usage_reports(n, alice_client, company, django_assert_num_queries):
    _weekly_reports(company, n)
    # 5 the paginator's count, 6 the page of reports (their totals draw the chart too).
    with django_assert_num_queries(6):
        response = alice_client.get(reverse("usage_reports"))
    assert response.context["page"].paginator.count == n


@pytest.mark.parametrize("n", ROWS)
def test_the_api_tokens_page(n, alice_client, alice, django_assert_num_queries):
    ApiToken.objects.bulk_create(
        ApiToken(user=alice, name=f"t{i}", prefix=f"p{i}", token_hash=f"h{i}") for i in range(n)
    )
    # 5 may the user make tokens (an active administrator somewhere), 6 the tokens.
    with django_assert_num_queries(6):
        response = alice_client.get(reverse("api_tokens"))
    assert len(response.context["tokens"]) == n


@pytest.mark.parametrize("n", ROWS)
def test_the_downloads_page(n, alice_client, company, django_assert_num_queries):
    product = factories.subscription_create(company, licenses=5).product
    Download.objects.bulk_create(
        Download(
            product=product,
            version="1.0",
            title=f"File {i}",
            external_url=f"https://example.com/{i}",
            published=True,
        )
        for i in range(n)
    )
    # 5 the product, 6 may the account download it (its subscriptions), 7 the versions,
    # 8 the product's tabs (its subscriptions), 9 the version's files, 10 the navigation's
    # "Proxy Servers (N)".
    with django_assert_num_queries(10):
        response = alice_client.get(reverse("download", args=[product.code]))
    assert len(response.context["downloads"]) == n


# --- API lists: 1 the token with its user, 2 the SSO domain of its owner's address, --------
# --- 3 the membership of the path's account, then ------------------------------------------


def _api_get(api, url: str):
    response = api.get(url, {"page_size": 100})
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.parametrize("n", ROWS)
def test_api_subscriptions(n, api, company, django_assert_num_queries):
    _subscriptions(company, n)
    # 4 the Display counts, 5 the page of subscriptions with their products.
    with django_assert_num_queries(5):
        results = _api_get(api, f"/api/v1/accounts/{company.pk}/subscriptions/?display=all")
    assert len(results) == n


@pytest.mark.parametrize("n", ROWS)
def test_api_license_keys(n, api, company, django_assert_num_queries):
    subscription = _keys(company, n)
    url = f"/api/v1/accounts/{company.pk}/subscriptions/{subscription.pk}/license-keys/"
    # 4 the subscription, 5 the License Keys table's live keys and 6 their usage (quota,
    # used and vacant as the page shows them), 7 the page of keys in the chosen order.
    with django_assert_num_queries(7):
        results = _api_get(api, url)
    assert len(results) == n


@pytest.mark.parametrize("n", ROWS)
def test_api_proxy_servers(n, api, company, django_assert_num_queries):
    _proxies(company, n)
    # 4 the page of servers with their key and subscription, 5 the live keys of their
    # subscriptions with their usage (over the limit by the pool rule).
    with django_assert_num_queries(5):
        results = _api_get(api, f"/api/v1/accounts/{company.pk}/proxy-servers/")
    assert len(results) == n


@pytest.mark.parametrize("n", ROWS)
def test_api_members(n, api, company, django_assert_num_queries):
    _members(company, n)
    # 4 the page of members with their users.
    with django_assert_num_queries(4):
        results = _api_get(api, f"/api/v1/accounts/{company.pk}/members/")
    assert len(results) == n


@pytest.mark.parametrize("n", ROWS)
def test_api_invitations(n, api, company, django_assert_num_queries):
    _invitations(company, n)
    # 4 the page of invitations with who sent them.
    with django_assert_num_queries(4):
        results = _api_get(api, f"/api/v1/accounts/{company.pk}/invitations/")
    assert len(results) == n


@pytest.mark.parametrize("n", ROWS)
def test_api_audit_log(n, api, company, django_assert_num_queries):
    _audit(company, n)
    # 4 the page of entries.
    with django_assert_num_queries(4):
        results = _api_get(api, f"/api/v1/accounts/{company.pk}/audit-log/")
    assert len(results) == n


@pytest.mark.parametrize("n", ROWS)
def test_api_proxy_server_usage(n, api, company, django_assert_num_queries):
    subscription = factories.subscription_create(company, licenses=5)
    server = proxy_server_create(subscription.primary_key, computers=1)
    today = timezone.localdate()
    UsageReport.objects.bulk_create(
        UsageReport(
            proxy_server=server,
            date=today - timedelta(days=i),
            registered_computers=1,
            peak=1,
            licenses=5,
        )
        for i in range(n)
    )
    # 4 the server, 5 its reports.
    with django_assert_num_queries(5):
        rows = _api_get(api, f"/api/v1/accounts/{company.pk}/proxy-servers/{server.pk}/usage/")
    assert len(rows) == n


SORTS = ["name", "-quota", "used", "-vacant", "expires"]


@pytest.mark.parametrize("n", [1, 300])
@pytest.mark.parametrize("sort", SORTS)
def test_the_license_keys_table_sorts_hundreds_of_keys_in_the_same_queries(
    n, sort, alice_client, company, django_assert_num_queries
):
    subscription = _keys(company, n)
    # The same queries as the unsorted table (see test_the_license_keys_table): the
    # sort values go to the database with the listed keys' query, not one query per key.
    with django_assert_num_queries(11):
        response = alice_client.get(
            reverse("subscription_detail", args=[subscription.pk]), {"sort": sort}
        )
    rows = response.context["table"].rows
    assert len(rows) == n
    column = sort.lstrip("-")
    values = [
        r.key.display_name.lower() if column == "name" else getattr(r, _ROW_FIELD[column])
        for r in rows
    ]
    assert values == sorted(values, reverse=sort.startswith("-"))


@pytest.mark.parametrize("n", [1, 300])
@pytest.mark.parametrize("sort", SORTS)
def test_api_license_keys_sorts_hundreds_of_keys_in_the_same_queries(
    n, sort, api, company, django_assert_num_queries
):
    subscription = _keys(company, n)
    url = f"/api/v1/accounts/{company.pk}/subscriptions/{subscription.pk}/license-keys/"
    # As test_api_license_keys: 4 the subscription, 5 the live keys, 6 their usage, 7
    # the page of keys in the chosen order.
    with django_assert_num_queries(7):
        response = api.get(url, {"sort": sort, "page_size": 100})
    results = response.json()["results"]
    assert len(results) == min(n, 100)
    column = sort.lstrip("-")
    values = [r["name"].lower() if column == "name" else r[_API_FIELD[column]] for r in results]
    assert values == sorted(values, reverse=sort.startswith("-"))


_ROW_FIELD = {"quota": "quota", "used": "used", "vacant": "vacant", "expires": "expires_on"}
_API_FIELD = {"quota": "quota", "used": "used", "vacant": "vacant", "expires": "expires_on"}
