"""Licensing fixtures: alice's company has a subscription of 5 licenses with a primary
key; an installation ("the proxy") holds its own key pair."""

from __future__ import annotations

import pytest

from licensing import signing
from tests.licensing import factories


@pytest.fixture(autouse=True)
def _portal_key(tmp_path_factory, settings):
    # Every test signs with a development key of its own, never the developer's.
    settings.LICENSING_SIGNING_KEYS = ""
    settings.LICENSING_DEV_KEY_DIR = tmp_path_factory.mktemp("portal-key")
    settings.LICENSING_DEV_KEY_ALLOWED = True
    signing.registry_reset()
    yield
    signing.registry_reset()


@pytest.fixture
def subscription(company):
    return factories.subscription_make(company, licenses=5, offline=True)


@pytest.fixture
def online_only_subscription(company):
    return factories.subscription_make(company, licenses=3, offline=False)


@pytest.fixture
def primary_key(subscription):
    return factories.primary_key_make(subscription)


@pytest.fixture
def proxy():
    return factories.Installation()


@pytest.fixture
def other_proxy():
    return factories.Installation(server_name="pmm.branch.example", site_code="BR")
