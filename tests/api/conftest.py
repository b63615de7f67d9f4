"""Scenes for the API tests: personal tokens for the cast, and a client that sends one.

alice administers "My Company, Inc." (10-license subscription "Headquarters", one
sublicense, a proxy server with usage), bob is a Regular Member, dave is blocked,
charlie administers "Other Corp".
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership
from api.models import ApiToken
from api.services import token_hash
from proxies.models import UsageReport
from tests import factories
from tests.subscriptions.conftest import proxy_server_create


def token_for(user, name: str = "script") -> str:
    """A live token of `user`, written straight to the database (any role may hold one:
    tokens made by an admin who is later demoted or blocked must be handled)."""
    secret = f"test-{user.pk}-{name}-" + "x" * 20
    ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:8],
        token_hash=token_hash(secret),
        last_used_at=timezone.now(),  # no last_used_at UPDATE during the test
    )
    return secret


def api_client(secret: str | None) -> APIClient:
    client = APIClient()
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def alice_api(alice):
    return api_client(token_for(alice))


@pytest.fixture
def bob_api(bob):
    return api_client(token_for(bob))


@pytest.fixture
def dave_api(dave):
    return api_client(token_for(dave))


@pytest.fixture
def charlie_api(charlie):
    return api_client(token_for(charlie))


@pytest.fixture
def erin(company):
    """A second Account Administrator of alice's company (so she can be demoted)."""
    user = factories.user_create("erin@example.com", "Erin", "Admin")
    factories.membership_create(user, company, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def subscription(company):
    return factories.subscription_create(company, licenses=10, name="Headquarters")


@pytest.fixture
def sublicense(subscription):
    return factories.license_key_create(subscription, quota=3, name="Design Studio")


@pytest.fixture
def proxy(subscription):
    server = proxy_server_create(subscription.primary_key, computers=4)
    today = timezone.localdate()
    for days in range(3):
        UsageReport.objects.create(
            proxy_server=server,
            date=today - timedelta(days=days),
            registered_computers=4 - days,
            peak=4 - days,
            licenses=10,
        )
    return server


@pytest.fixture
def other_subscription(other_company):
    return factories.subscription_create(other_company, licenses=3, name="Other HQ")


def base(account) -> str:
    return f"/api/v1/accounts/{account.pk}"
