"""A signing key rotated as the README says: the new key listed last, gunicorn restarted.
A proxy pinned to the old key learns the new one from the portal's signed answer."""

from __future__ import annotations

import json

import pytest
import requests

from proxies.models import ProxyServer
from tests.licensing import factories
from tests.production.stack import Config, KeyRing, Portal, ProxyInstallation, manage

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def published_key_ids(portal: Portal) -> list[str]:
    response = requests.get(
        f"{portal.url}/api/licensing/public-keys/", verify=str(portal.config.tls.cert), timeout=60
    )
    assert response.status_code == 200, response.text
    return [key["kid"] for key in response.json()["keys"]]


def test_an_online_activation_after_a_key_rotation(
    portal: Portal, config: Config, keys: KeyRing, company, proxy_host: ProxyInstallation
):
    key = factories.primary_key_make(factories.subscription_make(company, licenses=5)).key
    pin = proxy_host.state.parent / "portal-key.json"
    pin.write_text(manage(config, "licensing_public_key", "--json").stdout)
    proxy_host.ok("init", "--server-name", "pmm.alice.example", "--site-code", "HQ",
                  "--portal-public-key", str(pin))  # fmt: skip

    keys.create("portal-2")
    portal.restart()

    assert published_key_ids(portal) == ["portal-1", "portal-2"]
    assert json.loads(manage(config, "licensing_public_key", "--json").stdout)["kid"] == "portal-2"
    proxy_host.ok("activate", "--key", key, "--portal", portal.url)
    status = proxy_host.status()
    assert (status["status"], status["license_key"]) == ("active", key)
    assert status["portal_key_ids"] == ["portal-1", "portal-2"]

    # portal-1 retired: the proxy follows the portal's current key set.
    keys.retire("portal-1")
    portal.restart()
    proxy_host.ok("refresh", "--portal", portal.url)

    assert proxy_host.status()["portal_key_ids"] == ["portal-2"]
    assert ProxyServer.objects.get().status == ProxyServer.Status.ACTIVE
