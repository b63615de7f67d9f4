from __future__ import annotations

import pytest
from django.apps import apps

from subscriptions import selectors
from tests import factories
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db


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


def test_usage_is_zero_without_the_proxies_app(
    subscription, monkeypatch, django_assert_num_queries
):
    def missing(*args, **kwargs):
        raise LookupError("no proxies")

    monkeypatch.setattr(apps, "get_model", missing)
    with django_assert_num_queries(0):
        assert selectors.license_key_usage([subscription.primary_key]) == {
            subscription.primary_key.pk: 0
        }
        assert selectors.proxy_server_counts(account=subscription.account) == {}
