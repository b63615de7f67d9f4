"""The cache stopped while proxies refresh and people sign in: gunicorn with REDIS_URL on
a port where nothing listens (the broker still up) keeps serving pmm-proxy and the
pages, logs why, and /healthz says the cache is down until it is back."""

from __future__ import annotations

import pytest

from tests import factories
from tests.licensing import factories as licensing_factories
from tests.production.stack import (
    Browser,
    Config,
    Portal,
    ProxyInstallation,
    closed_port_url,
    manage,
)

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def test_proxies_and_people_are_served_while_the_cache_is_down(
    portal: Portal, config: Config, company, alice, proxy_host: ProxyInstallation
):
    subscription = licensing_factories.subscription_make(company, licenses=5)
    key = licensing_factories.primary_key_make(subscription).key
    pin = proxy_host.state.parent / "portal-key.json"
    pin.write_text(manage(config, "licensing_public_key", "--json").stdout)
    proxy_host.ok("init", "--server-name", "pmm.alice.example", "--site-code", "HQ",
                  "--portal-public-key", str(pin))  # fmt: skip
    proxy_host.ok("activate", "--key", key, "--portal", portal.url)

    portal.restart(REDIS_URL=closed_port_url(), CELERY_BROKER_URL=config.redis_url)

    proxy_host.ok("refresh", "--portal", portal.url)
    proxy_host.ok("report", "--computers", "3", "--portal", portal.url)
    assert (proxy_host.status()["status"], proxy_host.status()["used"]) == ("active", 3)
    browser = Browser(portal)
    browser.sign_in(alice.email, factories.PASSWORD)
    browser.get("/")
    status, body = portal.healthz()
    assert (status, body["down"]) == (503, ["cache"])
    log = portal.log()
    assert "Redis cache unreachable" in log
    # The licensing rate limits count in the cache, which answers from the process's
    # memory meanwhile (myaccount/cache.py): the proxies' calls above were served.

    portal.restart()

    proxy_host.ok("refresh", "--portal", portal.url)
    assert portal.healthz()[0] == 200
