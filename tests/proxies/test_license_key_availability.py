"""What a proxy is told about its key (one aggregate query) is exactly the key's row of
the License Keys table (every key of the subscription, then the pool arithmetic)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from proxies.models import ProxyServer
from proxies.selectors import license_key_availability, license_key_table
from subscriptions import quota
from subscriptions.models import LicenseKey
from tests.proxies import factories as f

pytestmark = pytest.mark.django_db


def sublicense(subscription, type: str, quota_: int, **fields) -> LicenseKey:
    return LicenseKey.objects.create(
        subscription=subscription, type=type, name=f"{type} {quota_}", quota=quota_, **fields
    )


@pytest.fixture
def keys(company):
    today = timezone.localdate()
    subscription = f.subscription_create(company, licenses=100)
    primary = f.key_create(subscription)
    reserved = sublicense(subscription, LicenseKey.Type.RESERVED, 30)
    dynamic = sublicense(subscription, LicenseKey.Type.DYNAMIC, 50)
    crowded = sublicense(subscription, LicenseKey.Type.DYNAMIC, 40)
    ended = sublicense(
        subscription,
        LicenseKey.Type.RESERVED,
        20,
        renew_with_subscription=False,
        expires_on=today - timedelta(days=1),
    )
    deleted = sublicense(subscription, LicenseKey.Type.RESERVED, 10, deleted_at=timezone.now())
    f.proxy_create(company, key=primary, registered_computers=25)
    f.proxy_create(company, key=reserved, registered_computers=12)
    f.proxy_create(company, key=dynamic, registered_computers=50)  # the pool runs out
    f.proxy_create(company, key=ended, registered_computers=7)
    # Deactivated installations of a key use none of its licenses.
    f.proxy_create(
        company, key=crowded, registered_computers=99, status=ProxyServer.Status.DEACTIVATED
    )
    return [primary, reserved, dynamic, crowded, ended, deleted]


def test_each_keys_answer_is_its_row_of_the_license_keys_table(keys):
    today = timezone.localdate()
    table = license_key_table(subscription=keys[0].subscription, today=today)
    rows = table.by_id
    assert table.pool_available == -5  # 100 - (25 + 50) - 30 reserved
    for key in keys:
        answer = license_key_availability(license_key=key, today=today)
        if key.deleted_at is not None:
            assert answer == quota.KeyAvailability(quota=10, used=0, vacant=0)
            continue
        row = rows[key.pk]
        assert (answer.quota, answer.used, answer.vacant) == (row.quota, row.used, row.vacant)
    dynamic = license_key_availability(license_key=keys[2], today=today)
    assert dynamic.over_limit and dynamic.vacant == table.pool_available


def test_one_keys_answer_is_one_query(keys, django_assert_num_queries):
    key = LicenseKey.objects.select_related("subscription").get(pk=keys[2].pk)
    with django_assert_num_queries(1):
        license_key_availability(license_key=key, today=timezone.localdate())


def test_a_key_created_between_the_tables_two_reads_waits_for_the_next_look(company):
    subscription = f.subscription_create(company, licenses=100)
    primary = f.key_create(subscription)
    table = license_key_table(subscription=subscription, today=timezone.localdate())
    # Another request creates a sublicense after the rows were read, before the listing.
    late = sublicense(subscription, LicenseKey.Type.RESERVED, 5)

    assert [row.key.pk for row in table.rows] == [primary.pk]
    fresh = license_key_table(subscription=subscription, today=timezone.localdate())
    assert late.pk in [row.key.pk for row in fresh.rows]
