"""The proxy is told what the portal's License Keys table shows: one arithmetic."""

from __future__ import annotations

import pytest

from licensing import services
from proxies.models import UsageReport
from proxies.selectors import license_key_table
from tests.licensing import factories
from tests.licensing.factories import NOW, answer_open

pytestmark = pytest.mark.django_db


def test_a_primary_key_whose_pool_went_to_reserved_sublicenses_has_less_remaining(
    proxy, subscription, primary_key
):
    # 5 licenses, 3 of them reserved for a branch: the primary key has 2 left to give.
    factories.sublicense_make(subscription, quota=3)
    answer = services.license_activate(proxy.activation(primary_key.key), channel="online", now=NOW)
    info = answer_open(answer, "activation_response").payload
    assert (info["licenses"], info["used"], info["remaining"], info["over_limit"]) == (
        5,
        0,
        2,
        False,
    )

    report = services.usage_report(proxy.usage(3), channel="online", now=NOW)
    usage = answer_open(report, "usage_response").payload
    assert usage["over_limit"] is True
    assert usage["remaining"] == 0

    row = next(
        r
        for r in license_key_table(subscription=subscription, today=NOW.date()).rows
        if r.key.pk == primary_key.pk
    )
    assert (row.used, row.vacant) == (3, -1)


def test_the_usage_history_of_a_pool_over_the_limit_says_over_the_limit(
    proxy, subscription, primary_key
):
    # The same scene: the day's row in the server's usage history, its chart and the
    # API's usage list read the pool rule too, not the key's whole allocation.
    factories.sublicense_make(subscription, quota=3)
    services.license_activate(proxy.activation(primary_key.key), channel="online", now=NOW)
    services.usage_report(proxy.usage(3), channel="online", now=NOW)

    [day] = UsageReport.objects.filter(proxy_server__license_key=primary_key)
    assert (day.peak, day.licenses, day.over_limit) == (3, 2, True)
