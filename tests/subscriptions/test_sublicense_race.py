"""Two administrators create sublicenses at the same moment: the row lock on the
subscription makes the second one count after the first one wrote (Postgres)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Membership
from subscriptions import services
from subscriptions.errors import SubscriptionError
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_reserved_sublicenses_never_exceed_the_licenses(company, alice):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need Postgres")
    erin = factories.user_create("erin@example.com", "Erin", "Admin")
    factories.membership_create(erin, company, role=Membership.Role.ADMIN)
    subscription = factories.subscription_create(company, licenses=10)
    barrier = threading.Barrier(6)
    results: list[str] = []

    def create(actor) -> None:
        try:
            barrier.wait()
            services.sublicense_create(
                subscription=subscription, actor=actor, quota=4, type="reserved"
            )
            results.append("created")
        except SubscriptionError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(person,)) for person in [alice, erin] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 10 licenses hold two reserved keys of 4, never three.
    assert results.count("created") == 2
    assert results.count("quota_reserved_exceeded") == 4
    reserved = subscription.license_keys.filter(type="reserved", deleted_at__isnull=True)
    assert sum(k.quota for k in reserved) == 8
