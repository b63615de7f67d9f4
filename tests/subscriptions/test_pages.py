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


def test_support_shows_each_subscriptions_period(alice_client, company, subscription):
    today = timezone.localdate()
    factories.subscription_create(
        company,
        name="Later",
        starts_on=today + timedelta(days=3),
        ends_on=today + timedelta(days=90),
    )
    factories.subscription_create(
        company,
        name="Gone",
        starts_on=today - timedelta(days=90),
        ends_on=today - timedelta(days=1),
    )
    factories.subscription_create(company, name="Last day", starts_on=today, ends_on=today)
    page = _text(alice_client.get(reverse("support")))
    starts = today + timedelta(days=3)
    ended = today - timedelta(days=1)
    assert (
        f'Later</a></td> <td data-label="Product">Mac Management</td> <td data-label="Support"><span class="badge">Starts</span> on {starts:%m/%d/%Y}'
        in page
    )
    assert (
        f'Gone</a></td> <td data-label="Product">Mac Management</td> <td data-label="Support"><span class="badge badge--danger">Expired</span> on {ended:%m/%d/%Y}'
        in page
    )
    assert (
        f'Last day</a></td> <td data-label="Product">Mac Management</td> <td data-label="Support"><span class="badge badge--ok">Included</span> until {today:%m/%d/%Y}'
        in page
    )


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
    # The footer's "Old Version" link is not the expired subscription "Old".
    assert "Site 01" in page and "Old" not in page.replace("Old Version", "")
    assert "Page 1 of 2" in page
    page2 = _text(alice_client.get(url, {"page": 2}))
    assert "Site 25" in page2
    expired = _text(alice_client.get(url, {"display": "expired"}))
    assert "Old" in expired and "Expired on" in expired and "Site 01" not in expired


def test_the_list_says_a_subscription_is_valid_on_its_last_day_and_expired_after(
    alice_client, company
):
    today = timezone.localdate()
    factories.subscription_create(company, name="Last day", starts_on=today, ends_on=today)
    factories.subscription_create(
        company, name="Gone", starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=1)
    )
    page = _text(alice_client.get(reverse("subscription_list"), {"display": "all"}))
    assert f"Valid until {today:%m/%d/%Y}" in page
    assert f"Expired on {today - timedelta(days=1):%m/%d/%Y}" in page
    assert page.count('badge--danger">Expired</span>') == 1


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
    # In words a person reads, not "-2".
    assert "Over the limit by 2: 5 in use, 3 licenses</span>" in _text(response)


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
    delete_url = reverse("license_key_delete", args=[subscription.pk, key.pk])
    assert f'href="{delete_url}" data-dialog-load="confirm-dialog">Delete<' in detail + page
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
    assert "Delete License Key “Design”?" in page
    assert (
        f"If a {subscription.product.name} installation uses this license key, it is "
        "deactivated. Its 3 licenses return to the primary key&#x27;s pool." in page
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


# The guide's review: Create License Key, the gear's dialog, over the limit, counts, nav


def _quota_input(page: str) -> str:
    return re.search(r'<input type="number" name="quota"[^>]*>', page).group(0)


def test_the_quota_label_and_max_follow_the_available_licenses(alice_client, subscription):
    factories.license_key_create(subscription, quota=4, name="Design")
    url = reverse("license_key_create", args=[subscription.pk])
    page = _text(alice_client.get(url))
    assert "Quota of Licenses (1 out of 6 available)" in page
    quota = _quota_input(page)
    # max is n for the type picked first (Reserved); app.js switches it for Dynamic.
    for attribute in ('max="6"', 'data-quota-reserved="6"', 'data-quota-dynamic="10"'):
        assert attribute in quota
    # The Expiration Date starts at the subscription's end (app.js disables it while
    # Renew with Subscription is ticked).
    assert f'name="expires_on" value="{subscription.ends_on.isoformat()}"' in page
    assert 'data-sublicense aria-labelledby="key-form-heading"' in page
    # After a round trip the server shows k as typed, and n of the type chosen.
    page = _text(alice_client.post(url, {"quota": 8, "type": "dynamic"}))
    assert "Quota of Licenses (8 out of 10 available)" in page
    assert 'max="10"' in _quota_input(page)


@pytest.mark.parametrize("type", ["reserved", "dynamic"])
def test_the_quota_label_never_says_more_is_available_than_the_subscription_has(
    alice_client, subscription, type
):
    # 50 typed on a 10-license subscription: the form says what is wrong and keeps the
    # label's numbers within the subscription ("10 out of 10", never "50 out of 10").
    url = reverse("license_key_create", args=[subscription.pk])
    page = _text(
        alice_client.post(url, {"quota": 50, "type": type, "renew_with_subscription": "on"})
    )
    assert "Quota of Licenses (10 out of 10 available)" in page
    assert "50 out of" not in page
    assert subscription.license_keys.count() == 1


def test_the_quota_error_comes_in_the_same_round_as_the_others(alice_client, subscription):
    url = reverse("license_key_create", args=[subscription.pk])
    # Reserved over n and no date: both errors at once, not the quota after the date.
    response = alice_client.post(url, {"quota": 11, "type": "reserved"})
    page = _text(response)
    assert "Reserved quotas together cannot exceed the subscription&#x27;s licenses" in page
    assert "Enter an expiration date or select Renew with Subscription." in page
    # A date past the subscription's end and a dynamic quota over the licenses.
    late = (subscription.ends_on + timedelta(days=1)).isoformat()
    page = _text(alice_client.post(url, {"quota": 11, "type": "dynamic", "expires_on": late}))
    assert "A quota cannot exceed the subscription&#x27;s 10 licenses." in page
    assert "cannot be later than the subscription" in page
    assert subscription.license_keys.count() == 1
    # Renew with Subscription ticked: the (disabled) date is not needed.
    response = alice_client.post(
        url, {"quota": 2, "type": "reserved", "renew_with_subscription": "on"}
    )
    assert response.status_code == 302


def test_the_gear_opens_the_modify_form_in_a_dialog(alice_client, subscription):
    alice_client.post(
        reverse("license_key_create", args=[subscription.pk]),
        {"quota": 2, "type": "reserved", "renew_with_subscription": "on"},
    )
    key = subscription.license_keys.get(type="reserved")
    assert key.name == "License Key 1"
    url = reverse("license_key_update", args=[subscription.pk, key.pk])
    detail = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))
    assert re.search(
        rf'<a class="gear" href="{url}"[^>]*data-dialog-load="modify-key-dialog"', detail
    )
    assert '<dialog id="modify-key-dialog"' in detail
    # The dialog shows the modify page's [data-dialog-content], titled with the key's
    # name as in the guide; the page itself stays the no-JavaScript fallback.
    page = _text(alice_client.get(url))
    assert re.search(
        r'<div data-dialog-content> <h1 id="key-form-heading">License Key 1</h1>', page
    )
    assert f'action="{url}"' in page and "data-close>Cancel</a>" in page
    assert "Quota of Licenses (2 out of 10 available)" in page


def test_over_the_limit_shows_in_words_next_to_vacant(alice_client, subscription):
    design = factories.license_key_create(subscription, quota=3, name="Design")
    proxy_server_create(design, computers=13)
    page = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))
    assert "Over the limit by 10: 13 in use, 3 licenses</span>" in page
    assert ">-10<" not in page


def test_the_dashboard_flags_keys_over_the_limit_by_the_pool_rule(alice_client, subscription):
    page = _text(alice_client.get(reverse("dashboard")))
    assert "Over the license limit" not in page
    # The dynamic key uses 3 of its quota of 5, but the pool (10 - 8 reserved - 3) is
    # over: the table shows it over the limit, and so does the Dashboard.
    factories.license_key_create(subscription, quota=8, name="Reserved")
    dynamic = factories.license_key_create(subscription, quota=5, type="dynamic", name="Dyn")
    proxy_server_create(dynamic, computers=3)
    rows = (
        alice_client.get(reverse("subscription_detail", args=[subscription.pk]))
        .context["table"]
        .rows
    )
    assert [r.key.name for r in rows if r.over_limit] == ["Primary Key", "Dyn"]
    page = _text(alice_client.get(reverse("dashboard")))
    assert re.search(r'class="over-limit">Keys over the license limit</span> <span [^>]*>2<', page)


def test_proxy_counts_agree_with_the_proxy_servers_page(alice_client, subscription):
    key = factories.license_key_create(subscription, quota=2, name="Branch")
    proxy_server_create(subscription.primary_key, computers=1)
    proxy_server_create(key, computers=1, status="deactivated")
    dashboard = _text(alice_client.get(reverse("dashboard")))
    detail = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))
    listed = alice_client.get(reverse("proxy_list"))
    # Every link goes to the Proxy Servers page, which lists under "All" both servers.
    assert listed.context["counts"]["all"] == 2
    assert re.search(
        r'Registered proxy servers</span> <span class="product-box__count">2<', dashboard
    )
    assert "Proxy Servers (2)" in detail
    assert "Proxy Servers (2)" in _text(listed)


def test_the_status_card_speaks_the_guides_words(alice_client, company, subscription):
    page = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))
    assert "Subscription Renewal is Off" in page
    assert re.search(r"<dt>Status</dt><dd data-subscription-status><span [^>]*>Active<", page)
    subscription.renewal = True
    subscription.save()
    assert "Subscription Renewal is On" in _text(
        alice_client.get(reverse("subscription_detail", args=[subscription.pk]))
    )
    trial = factories.subscription_create(company, licenses=2, trial=True)
    page = _text(alice_client.get(reverse("subscription_detail", args=[trial.pk])))
    assert re.search(r"data-subscription-status><span [^>]*>Trial<", page)
    old = factories.subscription_create(
        company, licenses=2, starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31)
    )
    page = _text(alice_client.get(reverse("subscription_detail", args=[old.pk])))
    assert re.search(r"data-subscription-status><span [^>]*>Expired<", page)


def test_the_product_nav_hides_business_pages_from_a_personal_account(
    alice_client, alice, subscription
):
    page = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))
    assert "Proxy Servers (0)" in page and "Offline Activation and Validation" in page
    assert '<summary>More <span aria-hidden="true">▾</span></summary>' in page
    from accounts.models import Account

    personal = Account.objects.get(kind=Account.Kind.PERSONAL, memberships__user=alice)
    alice_client.post(reverse("switch_account"), {"account": personal.pk})
    page = _text(alice_client.get(reverse("subscription_list")))
    assert "Product Subscriptions (0)" in page
    assert "Proxy Servers" not in page
    assert "Offline Activation and Validation" not in page


def test_a_pool_used_up_reads_as_over_the_limit_with_its_numbers(alice_client, subscription):
    factories.license_key_create(subscription, quota=8, name="Design")
    proxy_server_create(subscription.primary_key, computers=5)  # pool: 10 - 5 - 8 = -3
    page = _text(alice_client.get(reverse("subscription_detail", args=[subscription.pk])))

    assert "Shared pool over the limit by 3: 13 in use, 10 licenses." in page
    assert "Pool available" not in page and ">-3<" not in page
    assert '<details class="note" id="pool-help">' in page
