"""The licensing API's rate limits, both checked in one Redis round trip.

Each request counts against its client address (``licensing_ip``) and, when it carries
a message naming a license key or an installation, against that key or installation
(``licensing_key``); the rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``
(``LICENSING_THROTTLE_IP``, ``LICENSING_THROTTLE_KEY``). The counters are fixed windows
(``<scope>:<ident>:<window number>``): one Lua script counts every counter of a request
in one command on one connection per process (INCR, and EXPIRE with a window's first count),
instead of a read and a write of a timestamp list per throttle. A
refused request counts too, so a client that keeps hammering stays held back until
its window ends; ``Retry-After`` says when that is.

Every proxy in the field depends on this API, so a rate limit never takes it down:
while Redis cannot be reached (a warning is logged, Redis is tried again after
``RETRY_SECONDS``) the counters live in the Django cache, which then answers from this
process's memory (myaccount/cache.py) — the limits hold per process. Without
``REDIS_URL`` (development) they live in the local-memory cache all along.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.http import HttpRequest
from redis.exceptions import NoScriptError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.throttle import window_count
from licensing.client import envelope
from subscriptions.models import license_key_normalize

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Window:
    """One counter: `limit` requests per `seconds`, in the window that holds `now`."""

    scope: str
    ident: str
    limit: int
    seconds: int

    def key(self, now: float) -> str:
        number = int(now // self.seconds)
        return f"{settings.CACHE_KEY_PREFIX}:throttle:{self.scope}:{self.ident}:{number}"

    def retry_after(self, now: float) -> int:
        return max(1, math.ceil(self.seconds - now % self.seconds))


def window(scope: str, ident: str) -> Window | None:
    """The window of `scope` for `ident`, or None when that scope has no rate."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if not rate:
        return None
    limit, seconds = _rate(rate)
    return Window(scope=scope, ident=ident, limit=limit, seconds=seconds)


@cache
def _rate(rate: str) -> tuple[int, int]:
    """'100/min' -> (100, 60)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


# Counts one request in each window (KEYS) and returns the counts. The script runs
# atomically, so a window's expiry is set once, with its first count: the key names its
# window, and expires at most one window after it ends.
HIT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[i]) end
  counts[i] = count
end
return counts
"""


HIT_SHA = hashlib.sha1(HIT_SCRIPT.encode()).hexdigest()  # noqa: S324  (Redis names scripts so)


class _WindowCounters:
    """One Redis connection per process and Redis URL, used directly: EVALSHA sent and
    its answer read on it, without redis-py's command layer around them (the pool's
    poll of the socket before each command, its retry and Script wrappers: half the
    CPU of the call). A connection Redis closed (a restart) is opened again once; a
    Redis that cannot be reached falls back as the module says."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, tuple[int, redis.Connection]] = {}
        self._skip_until: dict[str, float] = {}

    def _connection(self, url: str) -> redis.Connection:
        """The connection for `url` (under the lock); a forked worker makes its own."""
        held = self._connections.get(url)
        if held is None or held[0] != os.getpid():
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
            pool = client.connection_pool
            held = self._connections[url] = (
                os.getpid(),
                pool.connection_class(**pool.connection_kwargs),
            )
        return held[1]

    def hit(self, windows: list[Window], now: float) -> list[int]:
        """Count one request in every window; the counts after it."""
        url = settings.REDIS_URL
        if url and time.monotonic() >= self._skip_until.get(url, 0.0):
            try:
                return self._hit_redis(url, windows, now)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                self._skip_until[url] = time.monotonic() + RETRY_SECONDS
                logger.warning(
                    "Redis unreachable for the licensing rate limits (%s: %s); counting "
                    "in this process for %ss",
                    exc.__class__.__name__,
                    exc,
                    RETRY_SECONDS,
                )
        return [window_count(w.key(now), w.seconds) for w in windows]

    def _hit_redis(self, url: str, windows: list[Window], now: float) -> list[int]:
        keys = [w.key(now) for w in windows]
        arguments = (len(keys), *keys, *(w.seconds for w in windows))
        with self._lock:
            connection = self._connection(url)
            try:
                return _counted(connection, arguments)
            except redis.ConnectionError:
                # Closed since its last use (say Redis restarted): nothing was counted.
                # Open it again once; a timeout is not retried (it may have counted).
                connection.disconnect()
                return _counted(connection, arguments)


def _counted(connection: redis.Connection, arguments: tuple) -> list[int]:
    """One command: the script by its SHA1, or by its text the first time a Redis lacks
    it (then Redis keeps it)."""
    try:
        connection.send_command("EVALSHA", HIT_SHA, *arguments)
        counts = connection.read_response()
    except NoScriptError:
        connection.send_command("EVAL", HIT_SCRIPT, *arguments)
        counts = connection.read_response()
    return [int(n) for n in counts]


counters = _WindowCounters()


def client_address(request: Request) -> str:
    # X-Forwarded-For only counts behind a configured number of trusted proxies;
    # otherwise any client could pick its own address and dodge the limit.
    if api_settings.NUM_PROXIES:
        return BaseThrottle().get_ident(request)
    return request.META.get("REMOTE_ADDR", "")


def key_ident(request: Request | HttpRequest, data: Any) -> str | None:
    """The license key (activation) or installation (later requests) and signing key,
    read from the unverified message: it only counts requests, it grants nothing.

    The signing key id is part of the bucket so that junk sent for somebody's key under
    the sender's own installation key fills the sender's bucket, not the real proxy's:
    forging the real proxy's key id needs its public key, which never leaves it online.
    """
    text = data.get("message") if isinstance(data, dict) else None
    try:
        decoded = envelope.decode(text) if isinstance(text, str) else None
    except envelope.EnvelopeError:
        return None
    # The view opens this very text: it verifies what was decoded here, not a second
    # parse of it (see licensing.api).
    request.licensing_decoded = (text, decoded)
    message = decoded.unverified if decoded is not None else None
    payload = message.payload if message is not None else {}
    ident = license_key_normalize(str(payload.get("license_key") or ""))
    if ident is None:
        installation = payload.get("installation_id")
        if not isinstance(installation, str) or not 0 < len(installation) <= 64:
            return None
        ident = "i:" + "".join(c for c in installation if c.isalnum() or c == "-")
    if message is not None:
        ident += ":" + "".join(c for c in message.kid[:40] if c.isalnum() or c == "-")
    return ident


def counted(request: Request | HttpRequest, data: Any, *, per_key: bool) -> int | None:
    """Count the request in its windows: None if it may go on, else the seconds to wait.
    `data`: the parsed body (``per_key``: the message in it names the key bucket). The
    verdict stays on the request, so it is counted once whichever path answers it."""
    now = time.time()
    windows = [window("licensing_ip", client_address(request))]
    if per_key and (ident := key_ident(request, data)) is not None:
        windows.append(window("licensing_key", ident))
    active = [w for w in windows if w is not None]
    counts = counters.hit(active, now) if active else []
    over = [w for w, count in zip(active, counts, strict=True) if count > w.limit]
    wait = max((w.retry_after(now) for w in over), default=None)
    request.licensing_throttle_verdict = (wait,)
    return wait


class LicensingThrottle(BaseThrottle):
    """Per client address and per license key or installation, in one round trip."""

    per_key = True

    def allow_request(self, request: Request, view: APIView) -> bool:
        verdict = getattr(request, "licensing_throttle_verdict", None)
        if verdict is not None:
            # Counted already, on the view's short path (licensing.api).
            (self._wait,) = verdict
        else:
            # A body that does not parse raises here, as the view would (400/415).
            data = request.data if self.per_key else None
            self._wait = counted(request, data, per_key=self.per_key)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


class ClientAddressThrottle(LicensingThrottle):
    """Per client address only (the public keys carry no message)."""

    per_key = False
