"""The outage hooks of the tier at work: a broker of the test's own, stopped and started
again, and a cache on a port where nothing listens; /healthz names what is down."""

from __future__ import annotations

import pytest

from tests.production.stack import Config, Portal, RedisServer, closed_port_url

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def test_healthz_names_a_stopped_broker_until_it_is_back(portal: Portal, own_broker: RedisServer):
    assert portal.healthz()[0] == 200

    own_broker.stop()
    status, body = portal.healthz()
    assert (status, body["down"]) == (503, ["broker"])

    own_broker.start()
    status, body = portal.healthz()
    assert (status, body["down"]) == (200, [])


def test_healthz_names_a_cache_on_a_closed_port(portal: Portal, config: Config):
    portal.restart(REDIS_URL=closed_port_url(), CELERY_BROKER_URL=config.redis_url)

    status, body = portal.healthz()

    assert (status, body["down"]) == (503, ["cache"])
    assert body["checks"]["broker"] == "ok"
