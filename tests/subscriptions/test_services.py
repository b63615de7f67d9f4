"""Services: sales operations, rename, sublicenses — rules, orders and audit log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from accounts.services import AccountAdminRequired
from proxies import services as proxy_services
from subscriptions import services
from subscriptions.errors import SubscriptionError
from subscriptions.models import LicenseKey, Order, Subscription
from tests import factories
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 15)


def test_issue_creates_a_primary_key_and_a_purchase_order():
    subscription = services.subscription_issue(
        licenses=20, months=12, starts_on=date(2026, 1, 31), channel="cli"
    )
    assert subscription.ends_on == date(2027, 1, 31)
    primary = subscription.license_keys.get()
    assert primary.is_primary and primary.quota is None
    assert primary.key == subscription.primary_key.key
    order = subscription.orders.get()
    assert (order.kind, order.quantity, order.licenses_after) == (Order.Kind.PURCHASE, 20, 20)
    assert AuditLog.objects.filter(action="subscription.issued", channel="cli").count() == 1


def test_issue_a_trial_with_an_end_date_and_offline_activation():
    subscription = services.subscription_issue(
        licenses=5, ends_on=date(2026, 4, 1), trial=True, offline_allowed=True, today=TODAY
    )
    assert subscription.is_trial and subscription.offline_allowed
    assert subscription.orders.get().kind == Order.Kind.TRIAL


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"licenses": 0, "months": 1}, "licenses_too_small"),
        ({"licenses": 1}, "period_invalid"),
        ({"licenses": 1, "months": 1, "ends_on": date(2027, 1, 1)}, "period_invalid"),
        ({"licenses": 1, "months": 0}, "period_invalid"),
        ({"licenses": 1, "ends_on": date(2026, 1, 1)}, "ends_before_start"),
    ],
)
def test_issue_refuses_bad_input_and_creates_nothing(kwargs, code):
    with pytest.raises(SubscriptionError) as error:
        services.subscription_issue(**kwargs, today=TODAY)
    assert error.value.code == code
    assert not Subscription.objects.exists()


def test_months_add_keeps_the_end_of_month():
    assert services.months_add(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.months_add(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert services.months_add(date(2026, 5, 15), 12) == date(2027, 5, 15)


def test_upgrade_adds_licenses_with_an_order(subscription):
    order = services.subscription_upgrade(
        subscription=subscription, licenses_added=5, actor=None, channel="admin"
    )
    subscription.refresh_from_db()
    assert subscription.licenses == 15
    assert (order.kind, order.quantity, order.licenses_after) == ("upgrade", 5, 15)
    with pytest.raises(SubscriptionError):
        services.subscription_upgrade(
            subscription=subscription, licenses_added=0, actor=None, channel="admin"
        )


def test_renew_extends_the_end_date_and_sublicenses_follow(subscription, alice):
    key = services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )
    old_end = subscription.ends_on
    order = services.subscription_renew(
        subscription=subscription, months=12, actor=None, channel="admin"
    )
    subscription.refresh_from_db()
    assert subscription.ends_on == services.months_add(old_end, 12)
    assert order.kind == "renewal" and order.ends_on_after == subscription.ends_on
    key.refresh_from_db()
    assert key.end_date == subscription.ends_on
    with pytest.raises(SubscriptionError) as error:
        services.subscription_renew(
            subscription=subscription, ends_on=old_end, actor=None, channel="admin"
        )
    assert error.value.code == "renew_not_later"


def test_offline_activation_is_toggled_and_audited(subscription):
    services.subscription_offline_set(
        subscription=subscription, allowed=True, actor=None, channel="admin"
    )
    services.subscription_offline_set(
        subscription=subscription, allowed=True, actor=None, channel="admin"
    )
    subscription.refresh_from_db()
    assert subscription.offline_allowed
    assert AuditLog.objects.filter(action="subscription.offline_enabled").count() == 1
    services.subscription_offline_set(
        subscription=subscription, allowed=False, actor=None, channel="admin"
    )
    subscription.refresh_from_db()
    assert not subscription.offline_allowed


def test_rename_and_fall_back_to_the_product_name(subscription, alice, bob):
    services.subscription_rename(subscription=subscription, name="  Design  ", actor=alice)
    assert Subscription.objects.get().name == "Design"
    services.subscription_rename(subscription=subscription, name="", actor=alice)
    assert Subscription.objects.get().display_name == "Mac Management Subscription"
    with pytest.raises(AccountAdminRequired) as error:
        services.subscription_rename(subscription=subscription, name="Mine", actor=bob)
    assert error.value.code == "not_admin"
    assert Subscription.objects.get().name == ""  # nothing changed


# Sublicenses


def test_create_a_reserved_sublicense(subscription, alice):
    key = services.sublicense_create(
        subscription=subscription, actor=alice, quota=4, type="reserved"
    )
    assert key.type == "reserved" and key.quota == 4
    assert key.name == "License Key 1"
    assert key.key != subscription.primary_key.key
    entry = AuditLog.objects.get(action="license_key.created")
    assert entry.actor == alice and entry.account == subscription.account
    assert entry.data["quota"] == 4


def test_reserved_quotas_together_never_exceed_the_licenses(subscription, alice):
    services.sublicense_create(subscription=subscription, actor=alice, quota=6, type="reserved")
    with pytest.raises(SubscriptionError) as error:
        services.sublicense_create(subscription=subscription, actor=alice, quota=5, type="reserved")
    assert error.value.code == "quota_reserved_exceeded"
    assert "4 out of 10 are available" in error.value.message
    services.sublicense_create(subscription=subscription, actor=alice, quota=4, type="reserved")
    assert subscription.license_keys.count() == 3


def test_a_dynamic_quota_is_a_ceiling_up_to_the_licenses(subscription, alice):
    services.sublicense_create(subscription=subscription, actor=alice, quota=10, type="reserved")
    # Dynamic keys compete for the pool: their quota is only bounded by the licenses.
    services.sublicense_create(subscription=subscription, actor=alice, quota=10, type="dynamic")
    with pytest.raises(SubscriptionError) as error:
        services.sublicense_create(subscription=subscription, actor=alice, quota=11, type="dynamic")
    assert error.value.code == "quota_dynamic_exceeded"


def test_deleted_and_expired_sublicenses_give_their_licenses_back(subscription, alice):
    key = services.sublicense_create(
        subscription=subscription, actor=alice, quota=10, type="reserved"
    )
    proxy_services.sublicense_delete(license_key=key, actor=alice)
    services.sublicense_create(
        subscription=subscription,
        actor=alice,
        quota=10,
        type="reserved",
        renew_with_subscription=False,
        expires_on=timezone.localdate(),
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    services.sublicense_create(
        subscription=subscription, actor=alice, quota=10, type="reserved", today=tomorrow
    )


@pytest.mark.parametrize(
    ("renew", "expires", "code"),
    [
        (False, None, "expiration_date_required"),
        (False, "after_end", "expiration_after_subscription"),
        (False, "yesterday", "expiration_in_past"),
    ],
)
def test_the_expiration_date_is_checked(subscription, alice, renew, expires, code):
    expires_on = {
        None: None,
        "after_end": subscription.ends_on + timedelta(days=1),
        "yesterday": timezone.localdate() - timedelta(days=1),
    }[expires]
    with pytest.raises(SubscriptionError) as error:
        services.sublicense_create(
            subscription=subscription,
            actor=alice,
            quota=1,
            type="reserved",
            renew_with_subscription=renew,
            expires_on=expires_on,
        )
    assert error.value.code == code
    assert subscription.license_keys.count() == 1


def test_no_sublicenses_on_an_expired_subscription(company, alice):
    expired = factories.subscription_create(
        company, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31)
    )
    with pytest.raises(SubscriptionError) as error:
        services.sublicense_create(subscription=expired, actor=alice, quota=1, type="reserved")
    assert error.value.code == "subscription_expired"


def test_only_an_administrator_of_the_account_manages_sublicenses(subscription, bob, charlie, dave):
    for person in (bob, charlie, dave):
        with pytest.raises(AccountAdminRequired) as error:
            services.sublicense_create(
                subscription=subscription, actor=person, quota=1, type="reserved"
            )
        assert error.value.code == "not_admin"
    assert subscription.license_keys.count() == 1


def test_update_a_sublicense_without_counting_its_old_quota(subscription, alice):
    key = services.sublicense_create(
        subscription=subscription, actor=alice, quota=6, type="reserved"
    )
    services.sublicense_create(subscription=subscription, actor=alice, quota=2, type="reserved")
    updated = services.sublicense_update(
        license_key=key,
        actor=alice,
        name="Design",
        quota=8,
        type="reserved",
        renew_with_subscription=False,
        expires_on=subscription.ends_on,
    )
    assert (updated.name, updated.quota, updated.expires_on) == ("Design", 8, subscription.ends_on)
    with pytest.raises(SubscriptionError):
        services.sublicense_update(
            license_key=key,
            actor=alice,
            name="Design",
            quota=9,
            type="reserved",
            renew_with_subscription=True,
        )
    key.refresh_from_db()
    assert key.quota == 8
    entry = AuditLog.objects.filter(action="license_key.updated").get()
    assert entry.data["before"]["quota"] == 6 and entry.data["after"]["quota"] == 8


def test_the_primary_key_cannot_be_modified_or_deleted(primary_key, alice):
    with pytest.raises(SubscriptionError) as error:
        proxy_services.sublicense_delete(license_key=primary_key, actor=alice)
    assert error.value.code == "primary_key_readonly"
    with pytest.raises(SubscriptionError):
        services.sublicense_update(
            license_key=primary_key,
            actor=alice,
            name="x",
            quota=1,
            type="reserved",
            renew_with_subscription=True,
        )
    assert LicenseKey.objects.get().deleted_at is None


def test_delete_is_soft_and_deactivates_the_installation_using_the_key(subscription, alice):
    key = services.sublicense_create(
        subscription=subscription, actor=alice, quota=3, type="reserved"
    )
    proxy = proxy_server_create(key, computers=2)
    proxy_services.sublicense_delete(license_key=key, actor=alice)
    key.refresh_from_db()
    assert key.deleted_at is not None
    proxy.refresh_from_db()
    assert proxy.status == "deactivated"
    assert AuditLog.objects.filter(action="license_key.deleted", target_id=str(key.pk)).exists()
    with pytest.raises(SubscriptionError) as error:
        proxy_services.sublicense_delete(license_key=key, actor=alice)
    assert error.value.code == "license_key_deleted"
