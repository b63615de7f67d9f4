"""Dashboard, subscription list and subscription details run a fixed number of
queries, whatever the number of subscriptions and keys."""

from __future__ import annotations

import pytest
from django.urls import reverse

from subscriptions.models import LicenseKey, Product
from subscriptions.services import subscription_issue
from tests import factories
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def big(company):
    """25 subscriptions; the first has 200 keys, 20 of them in use by proxies."""
    subscriptions = [factories.subscription_create(company, licenses=1000) for _ in range(25)]
    first = subscriptions[0]
    LicenseKey.objects.bulk_create(
        LicenseKey(subscription=first, name=f"Key {i}", type="dynamic", quota=2) for i in range(199)
    )
    for key in first.license_keys.all()[:20]:
        proxy_server_create(key, computers=1)
    return first


# Every page pays for the request itself (after a first request, which also creates
# allauth's user session): 1. the session, 2. the user, 3. the SSO domain of the user's
# address, then allauth's usersessions tracking activity: 4. SAVEPOINT, 5. the user
# session, 6. its user, 7. UPDATE last_seen_at, 8. RELEASE SAVEPOINT; and 9. the user's
# memberships (accounts middleware).
REQUEST = 9


@pytest.fixture(autouse=True)
def _warm_up(alice_client):
    alice_client.get(reverse("personal_profile"))


def test_dashboard(alice_client, big, django_assert_max_num_queries):
    # 10. subscriptions grouped by product (active, ending within 30 days), 11. the
    # products, 12. proxy servers per product, 13. silent proxy servers per product,
    # 14. the live keys of the active subscriptions with their usage (licenses in use,
    # the over-limit line)
    with django_assert_max_num_queries(REQUEST + 5):
        response = alice_client.get(reverse("dashboard"))
    assert "All Subscriptions (25)" in response.content.decode()


def test_dashboard_with_three_products(alice_client, big, django_assert_max_num_queries):
    # The same queries as with one product: per-product figures are grouped queries,
    # not one query per product.
    for code in ("ras", "vdi"):
        product = Product.objects.create(code=code, name=f"Parallels {code.upper()}")
        for _ in range(3):
            subscription = subscription_issue(
                licenses=10, months=12, product=product, account=big.account, channel="system"
            )
            proxy_server_create(subscription.primary_key, computers=2)
    # 14. for in use and the over-limit line: one query for every product's live keys
    with django_assert_max_num_queries(REQUEST + 5):
        response = alice_client.get(reverse("dashboard"))
    html = response.content.decode()
    assert "All Subscriptions (31)" in html
    assert "Parallels RAS" in html and "Parallels VDI" in html


def test_subscription_list(alice_client, big, django_assert_max_num_queries):
    # 10. the product, 11. Display counts, 12. page count, 13. the page (with products),
    # 14. proxy servers per product, 15. Product Subscriptions (N)
    with django_assert_max_num_queries(REQUEST + 6):
        response = alice_client.get(reverse("subscription_list"), {"display": "all"})
    assert "All (25)" in response.content.decode()


def test_subscription_details_with_200_keys(alice_client, big, django_assert_max_num_queries):
    # 10. the subscription with its product, 11. its live keys, 12. their usage (one
    # grouped query over the proxies), 13. the listed keys in the chosen order, 14. orders,
    # 15. proxy servers per product, 16. Product Subscriptions (N)
    url = reverse("subscription_detail", args=[big.pk])
    with django_assert_max_num_queries(REQUEST + 7):
        response = alice_client.get(url, {"sort": "-used"})
    assert "License Keys (200)" in response.content.decode()
    assert sum(r.used for r in response.context["table"].rows) == 20
