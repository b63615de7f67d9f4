"""A rule with a page and an API form reads the same on both: each test runs against
the page and the API, so they cannot drift apart again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.api.conftest import base
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db

SURFACES = ["page", "api"]


def _primary_row(surface, alice_client, alice_api, company, subscription) -> dict:
    if surface == "api":
        url = f"{base(company)}/subscriptions/{subscription.pk}/license-keys/"
        [row] = [r for r in alice_api.get(url).json()["results"] if r["type"] == "primary"]
        return {"vacant": row["vacant"], "over_limit": row["over_limit"]}
    response = alice_client.get(reverse("subscription_detail", args=[subscription.pk]))
    [row] = [r for r in response.context["table"].rows if r.key.is_primary]
    assert f"Over the limit by {-row.vacant}" in response.content.decode()
    return {"vacant": row.vacant, "over_limit": row.over_limit}


@pytest.mark.parametrize("surface", SURFACES)
def test_the_pool_rule_puts_the_primary_key_over_the_limit(
    surface, alice_client, alice_api, company
):
    # 10 licenses, 8 reserved by a sublicense, the primary key's installation uses 5.
    subscription = factories.subscription_create(company, licenses=10)
    factories.license_key_create(subscription, quota=8, name="Branch")
    proxy_server_create(subscription.primary_key, computers=5)
    row = _primary_row(surface, alice_client, alice_api, company, subscription)
    assert row == {"vacant": -3, "over_limit": True}


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("starts", "ends", "page_status", "api_status"),
    [
        (-10, 10, "Active", "active"),
        (5, 30, "Not started", "upcoming"),
        (-30, -1, "Expired", "expired"),
    ],
)
def test_a_subscriptions_status_is_one_rule(
    surface, starts, ends, page_status, api_status, alice_client, alice_api, company
):
    today = timezone.localdate()
    subscription = factories.subscription_create(
        company, starts_on=today + timedelta(days=starts), ends_on=today + timedelta(days=ends)
    )
    if surface == "api":
        body = alice_api.get(f"{base(company)}/subscriptions/{subscription.pk}/").json()
        assert body["status"] == api_status
    else:
        response = alice_client.get(reverse("subscription_detail", args=[subscription.pk]))
        assert response.context["status"] == page_status
        assert page_status in response.content.decode()
