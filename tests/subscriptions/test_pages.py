"""The business account's pages: Dashboard, Subscriptions, Subscription details,
Create License Key, modify, delete, rename, Support."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import LicenseKey
from tests import factories
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_dashboard_shows_a_box_per_product(alice_client, company, subscription):
    factories.subscription_create(
        company, licenses=7, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31)
    )
    proxy_server_create(subscription.primary_key, computers=3)
    page = _text(alice_client.get(reverse("dashboard")))
    assert "Mac Management" in page
    assert "Manages 10 computers" in page  # active subscriptions only
    assert re.search(r"Active subscriptions</span> <span class=\"product-box__count\">1<", page)
    assert re.search(r"Registered proxy servers</span> <span class=\"product-box__count\">1<", page)
    assert f'href="{reverse("proxy_list")}"' in page
    assert f'href="{reverse("offline_operations")}">Offline Operations' in page
    assert f'href="{reverse("support")}">Support' in page
    assert "All Subscriptions (2)" in page


def test_the_dashboard_of_a_business_account_without_subscriptions(bob_client, company):
    page = _text(bob_client.get(reverse("dashboard")))
    assert "Start with registering your product" in page
    assert "An Account Administrator can register a license key." in page


def test_support_shows_the_support_code_and_status(alice_client, company, subscription):
    page = _text(alice_client.get(reverse("support")))
    assert company.support_code in page
    assert f"Active</span> until {subscription.ends_on:%m/%d/%Y}" in page


# Subscriptions list


@pytest.fixture
def many(company):
    today = timezone.localdate()
    made = [
        factories.subscription_create(company, licenses=n, name=f"Site {n:02}", days=30 + n)
        for n in range(1, 26)
    ]
    made.append(
        factories.subscription_create(
            company, licenses=99, name="Old", starts_on=today - timedelta(days=400), days=30
        )
    )
    return made


def test_the_list_filters_counts_and_paginates(alice_client, many):
    url = reverse("subscription_list")
    page = _text(alice_client.get(url))
    assert "Active (25)" in page and "Expired (1)" in page and "All (26)" in page
    assert "Site 01" in page and "Old" not in page
    assert "Page 1 of 2" in page
    page2 = _text(alice_client.get(url, {"page": 2}))
    assert "Site 25" in page2
    expired = _text(alice_client.get(url, {"display": "expired"}))
    assert "Old" in expired and "Expired on" in expired and "Site 01" not in expired


def test_the_list_arranges_by_end_date_name_and_licenses(alice_client, many):
    url = reverse("subscription_list")

    def names(arrange: str) -> list[str]:
        response = alice_client.get(url, {"display": "all", "arrange": arrange})
        return [s.display_name for s in response.context["page"].object_list]

    assert names("ends_on")[0] == "Old"
    assert names("-ends_on")[0] == "Site 25"
    assert names("name")[0] == "Old"
    assert names("-name")[0] == "Site 25"
    assert names("licenses")[0] == "Site 01"
    assert names("-licenses")[0] == "Old"


def test_the_list_searches_by_name_and_by_key(alice_client, many):
    url = reverse("subscription_list")
    response = alice_client.get(url, {"q": "site 07"})
    assert [s.name for s in response.context["page"].object_list] == ["Site 07"]
    key = many[3].primary_key.key.lower().replace("-", "")
    response = alice_client.get(url, {"q": key, "display": "all"})
    assert [s.name for s in response.context["page"].object_list] == ["Site 04"]
    page = _text(response)
    assert "Manages 4 computers" in page and "Valid until" in page


# Subscription details


def test_details_show_status_orders_contract_products_and_keys(alice_client, subscription, alice):
    subscription.contract_details = "PO-2291"
    subscription.save()
    page = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))
    for words in (
        "Subscription Renewal",
        "Activation Date",
        f"Expiration Date</dt><dd>{subscription.ends_on:%m/%d/%Y}",
        "Orders History",
        "Purchase",
        "Contract Details",
        "PO-2291",
        "Products",
        "License Keys (1)",
        "Create License Key",
        "Proxy Servers (0)",
        "Product Subscriptions (1)",
        "Offline Activation and Validation",
        subscription.primary_key.key,
    ):
        assert words in page


def test_used_and_vacant_come_from_the_proxies_and_over_the_limit_is_red(
    alice_client, subscription
):
    reserved = factories.license_key_create(subscription, quota=3, name="Design")
    dynamic = factories.license_key_create(subscription, quota=4, type="dynamic", name="Branch")
    proxy_server_create(subscription.primary_key, computers=2)
    proxy_server_create(reserved, computers=5)  # over its quota of 3
    proxy_server_create(dynamic, computers=1)
    response = alice_client.get(reverse("subscription_detail", args=[subscription.pk]))
    rows = {
        r.key.name: (r.quota, r.used, r.vacant, r.over_limit)
        for r in response.context["table"].rows
    }
    # pool = 10 - (2 + 1) - 3 = 4
    assert rows == {
        "Primary Key": (10, 2, 4, False),
        "Design": (3, 5, -2, True),
        "Branch": (4, 1, 3, False),
    }
    assert '<span class="over-limit" title="Over the license limit">-2</span>' in _text(response)


def test_the_key_table_sorts_by_each_column(alice_client, subscription):
    factories.license_key_create(subscription, quota=3, name="Alpha")
    factories.license_key_create(subscription, quota=1, type="dynamic", name="Zulu")
    url = reverse("subscription_detail", args=[subscription.pk])

    def order(sort):
        return [r.key.name for r in alice_client.get(url, {"sort": sort}).context["table"].rows]

    assert order("name") == ["Alpha", "Primary Key", "Zulu"]
    assert order("-name") == ["Zulu", "Primary Key", "Alpha"]
    assert order("quota") == ["Zulu", "Alpha", "Primary Key"]
    assert order("type") == ["Primary Key", "Alpha", "Zulu"]
    for sort in ("used", "-vacant", "expires", "bogus"):
        assert len(order(sort)) == 3


def test_deleted_sublicenses_are_not_listed(alice_client, subscription):
    factories.license_key_create(subscription, quota=3, name="Gone", deleted_at=timezone.now())
    page = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))
    assert "Gone" not in page and "License Keys (1)" in page


# Create, modify, delete, rename


def test_create_a_license_key(alice_client, subscription):
    url = reverse("license_key_create", args=[subscription.pk])
    page = _text(alice_client.get(url))
    assert "Quota of Licenses (1 out of 10 available)" in page
    for label in ("Name", "Type", "Renew with Subscription", "Expiration Date"):
        assert re.search(rf'<label for="id_\w+"[^>]*>{label}</label>', page)
    response = alice_client.post(
        url, {"name": "Design", "quota": 4, "type": "reserved", "renew_with_subscription": "on"}
    )
    assert response.status_code == 302
    key = subscription.license_keys.get(name="Design")
    assert (key.type, key.quota, key.renew_with_subscription) == ("reserved", 4, True)
    assert "Quota of Licenses (1 out of 6 available)" in _text(alice_client.get(url))


def test_create_shows_the_rules_as_form_errors(alice_client, subscription):
    url = reverse("license_key_create", args=[subscription.pk])
    response = alice_client.post(
        url, {"name": "Too big", "quota": 11, "type": "reserved", "renew_with_subscription": "on"}
    )
    assert "Reserved quotas together cannot exceed the subscription&#x27;s licenses" in _text(
        response
    )
    response = alice_client.post(url, {"quota": 1, "type": "reserved"})
    assert "Enter an expiration date or select Renew with Subscription." in _text(response)
    response = alice_client.post(
        url,
        {
            "quota": 1,
            "type": "reserved",
            "expires_on": (subscription.ends_on + timedelta(days=1)).isoformat(),
        },
    )
    assert "cannot be later than the subscription" in _text(response)
    assert subscription.license_keys.count() == 1


def test_modify_a_license_key_from_its_settings(alice_client, subscription):
    key = factories.license_key_create(subscription, quota=3, name="Design")
    detail = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))
    url = reverse("license_key_update", args=[subscription.pk, key.pk])
    assert f'href="{url}" aria-label="Settings of Design"' in detail
    page = _text(alice_client.get(url))
    assert "Quota of Licenses (3 out of 10 available)" in page
    assert "it will be deactivated" in page
    response = alice_client.post(
        url,
        {
            "name": "Studio",
            "quota": 5,
            "type": "dynamic",
            "expires_on": subscription.ends_on.isoformat(),
        },
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.quota, key.type, key.renew_with_subscription) == (
        "Studio",
        5,
        "dynamic",
        False,
    )


def test_delete_a_license_key_after_confirmation(alice_client, subscription):
    key = factories.license_key_create(subscription, quota=3, name="Design")
    url = reverse("license_key_delete", args=[subscription.pk, key.pk])
    page = _text(alice_client.get(url))
    assert (
        "If you have an active Mac Management installation using this license key, it will be deactivated."
        in page
    )
    assert alice_client.post(url).status_code == 302
    key.refresh_from_db()
    assert key.deleted_at is not None
    assert alice_client.post(url).status_code == 404


def test_the_primary_key_has_no_settings(alice_client, subscription):
    url = reverse("license_key_update", args=[subscription.pk, subscription.primary_key.pk])
    assert alice_client.get(url).status_code == 404
    assert alice_client.post(url.replace("/keys/", "/keys/") + "delete/").status_code == 404
    assert LicenseKey.objects.get().deleted_at is None


def test_rename_the_subscription(alice_client, subscription):
    url = reverse("subscription_rename", args=[subscription.pk])
    assert alice_client.post(url, {"name": "Campus"}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.name == "Campus"
