"""The licensing API's rate limits (licensing/throttling.py): per client address and per
license key or installation, 429 with Retry-After when over, and never a failure of
their own: with Redis unreachable or frozen the proxies still get their answers (the
cache's fallback holds the limits per process; a cache that fails lets requests
through). (The basic 429 cases are in test_licensing_api.py.)"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.licensing import factories
from tests.licensing.test_licensing_api import ACTIVATE, error_of, now_proxy, post

pytestmark = pytest.mark.django_db
PUBLIC_KEYS = "/api/licensing/public-keys/"


@pytest.fixture
def primary_key(company):
    today = timezone.localdate()
    subscription = factories.subscription_make(
        company, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=335)
    )
    return factories.primary_key_make(subscription)


@pytest.fixture
def api() -> Client:
    return Client(enforce_csrf_checks=True)


def rates(settings, ip: str, key: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"licensing_ip": ip, "licensing_key": key},
    }


def test_retry_after_says_when_the_window_ends(api, settings):
    rates(settings, ip="2/min", key="100/min")
    with time_machine.travel(datetime(2026, 3, 2, 9, 15, 42, tzinfo=UTC), tick=False):
        for _ in range(2):
            assert api.get(PUBLIC_KEYS).status_code == 200
        response = api.get(PUBLIC_KEYS)

    assert response.status_code == 429
    assert response["Retry-After"] == "18"
    assert error_of(response)["code"] == "throttled"


def test_a_new_window_lets_the_client_in_again(api, settings):
    rates(settings, ip="1/min", key="100/min")
    start = datetime(2026, 3, 2, 9, 15, 42, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert api.get(PUBLIC_KEYS).status_code == 200
        assert api.get(PUBLIC_KEYS).status_code == 429
        clock.move_to(start + timedelta(seconds=18))
        assert api.get(PUBLIC_KEYS).status_code == 200


def test_the_two_limits_count_separately(api, settings, primary_key):
    rates(settings, ip="3/min", key="1/min")
    now = timezone.now()
    first, second = now_proxy(), now_proxy()

    assert (
        post(api, ACTIVATE, {"message": first.activation(primary_key.key, now=now)}).status_code
        == 200
    )
    # The key bucket of the first installation is full; the second's is not, and the
    # address still has room.
    again = post(api, ACTIVATE, {"message": first.activation(primary_key.key, now=now)})
    assert again.status_code == 429
    other = post(api, ACTIVATE, {"message": second.activation(primary_key.key, now=now)})
    assert other.status_code == 409  # past the throttle: the key is active elsewhere
    # Three requests from this address: the fourth is over the address limit.
    assert api.get(PUBLIC_KEYS).status_code == 429


def test_the_proxies_are_answered_while_redis_is_down(api, primary_key, redis_down, caplog):
    now = timezone.now()

    keys = api.get(PUBLIC_KEYS)
    activation = post(api, ACTIVATE, {"message": now_proxy().activation(primary_key.key, now=now)})

    assert keys.status_code == 200 and keys.json()["keys"]
    assert activation.status_code == 200, activation.content
    assert "Redis cache unreachable" in caplog.text


def test_the_limits_hold_in_the_process_while_redis_is_down(api, settings, redis_down):
    rates(settings, ip="2/min", key="100/min")

    statuses = [api.get(PUBLIC_KEYS).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


@pytest.fixture
def failing_cache(settings, redis_down) -> None:
    """Django's own Redis cache (no fallback of its own) at a port nobody listens on:
    every cache call fails."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_down,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_a_failing_cache_lets_the_proxies_through(
    api, settings, primary_key, failing_cache, caplog
):
    rates(settings, ip="1/min", key="1/min")
    now = timezone.now()

    keys = [api.get(PUBLIC_KEYS).status_code for _ in range(3)]
    activation = post(api, ACTIVATE, {"message": now_proxy().activation(primary_key.key, now=now)})

    assert keys == [200, 200, 200]
    assert activation.status_code == 200, activation.content
    assert "The licensing rate limit licensing_ip is not counted" in caplog.text


@pytest.fixture
def redis_frozen(settings):
    """A "Redis" that accepts connections and never answers (a SIGSTOPped server): the
    kernel completes the handshake from the listen backlog, nothing reads or writes."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        url = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
        settings.REDIS_URL = url
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
        yield url


def test_the_proxies_are_answered_while_redis_is_frozen(api, primary_key, redis_frozen, caplog):
    now = timezone.now()

    keys = api.get(PUBLIC_KEYS)
    activation = post(api, ACTIVATE, {"message": now_proxy().activation(primary_key.key, now=now)})

    assert keys.status_code == 200 and keys.json()["keys"]
    assert activation.status_code == 200, activation.content
    # The cache's socket timeout ended the wait (a frozen Redis costs a bounded time,
    # then the fallback answers): a timeout, not a refused connection.
    assert "Redis cache unreachable (TimeoutError" in caplog.text
