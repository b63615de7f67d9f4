"""The outage hooks of the tier at work: a broker of the test's own, stopped and started
again, and a cache on a port where nothing listens; /healthz names what is down."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.production.stack import Portal, RedisServer

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def test_healthz_names_a_stopped_broker_until_it_is_back(portal: Portal, own_broker: RedisServer):
    assert portal.healthz()[0] == 200

    own_broker.stop()
    status, body = portal.healthz()
    assert (status, body["down"]) == (503, ["broker"])

    own_broker.start()
    status, body = portal.healthz()
    assert (status, body["down"]) == (200, [])


# The cache on the discard port, where nothing listens; the broker on the machine's Redis.
@pytest.mark.stack_environment(
    REDIS_URL="redis://127.0.0.1:9/0", CELERY_BROKER_URL=settings.REDIS_URL or ""
)
def test_healthz_names_a_cache_on_a_closed_port(portal: Portal):
    status, body = portal.healthz()

    assert (status, body["down"]) == (503, ["cache"])
    assert body["checks"]["broker"] == "ok"
