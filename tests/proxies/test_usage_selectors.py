from __future__ import annotations

import pytest

from proxies import selectors
from tests import factories
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(company):
    return factories.subscription_create(company, licenses=10, name="Headquarters")


def test_usage_sums_the_active_installations_per_key_in_one_query(
    subscription, django_assert_num_queries
):
    reserved = factories.license_key_create(subscription, quota=3)
    idle = factories.license_key_create(subscription, quota=1)
    proxy_server_create(subscription.primary_key, computers=4)
    proxy_server_create(reserved, computers=2, status="deactivated")
    proxy_server_create(reserved, computers=3)
    with django_assert_num_queries(1):
        usage = selectors.license_key_usage([subscription.primary_key, reserved, idle.pk])
    assert usage == {subscription.primary_key.pk: 4, reserved.pk: 3, idle.pk: 0}
