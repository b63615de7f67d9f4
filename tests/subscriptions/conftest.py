"""Scenes for the subscription tests: alice's company holds a 10-license subscription."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from proxies.models import ProxyServer
from tests import factories


@pytest.fixture
def subscription(company):
    return factories.subscription_create(company, licenses=10, name="Headquarters")


@pytest.fixture
def primary_key(subscription):
    return subscription.primary_key


@pytest.fixture
def other_subscription(other_company):
    return factories.subscription_create(other_company, licenses=3, name="Other HQ")


def proxy_server_create(license_key, computers: int, status: str = "active"):
    """An installation using `license_key` that reports `computers` managed Macs."""
    return ProxyServer.objects.create(
        account=license_key.subscription.account,
        license_key=license_key,
        installation_id=uuid.uuid4(),
        installation_public_key="-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
        installation_key_id="test",
        server_name=f"sccm-{license_key.pk}-{uuid.uuid4().hex[:6]}",
        site_code="T12",
        method="online",
        status=status,
        activated_at=timezone.now(),
        registered_computers=computers,
    )
