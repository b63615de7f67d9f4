"""The licensing API's rate limits: per client address and per license key or installation.

Every request counts against its client address (``licensing_ip``); a request whose
message names a license key (activation) or an installation (every later request)
counts against that key or installation too (``licensing_key``), both in one call of
the cache (one Redis round trip, ``core.throttle.windows_count``): a message is counted
once it is parsed, before it is verified, and a body that cannot be parsed against its
address alone, before its refusal (licensing/api.py). The rates are
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``LICENSING_THROTTLE_IP``,
``LICENSING_THROTTLE_KEY``). The counters are fixed windows in the Django cache (Redis
in production), one key per window (``throttle:<scope>:<ident>:<window number>``), so a
window never needs resetting: its key simply stops being used, and expires. A refused
request counts too, so a client that keeps hammering stays held back until its window
ends; ``Retry-After`` says when that is.

Every proxy in the field depends on this API, so a rate limit never takes it down: the
cache's socket timeouts bound what a frozen Redis costs (``myaccount/cache.py`` then
answers from the process's memory for a while), and a cache that fails outright lets
the request through (fail open), with a logged warning.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import cache as memoize

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.throttle import windows_count
from licensing.client import envelope
from subscriptions.models import license_key_normalize

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Window:
    """One counter: `limit` requests per `seconds`, in the window that holds `now`."""

    scope: str
    ident: str
    limit: int
    seconds: int

    def key(self, now: float) -> str:
        return f"throttle:{self.scope}:{self.ident}:{int(now // self.seconds)}"

    def retry_after(self, now: float) -> int:
        return max(1, math.ceil(self.seconds - now % self.seconds))


def windows_wait(windows: list[Window], now: float) -> int | None:
    """Count one request in each window, all in one call of the cache: None if it may
    go on, else the seconds to wait. A cache that fails lets it go on (see the module).

    The window's key names its window and outlives it (twice its length), so a count
    never loses its expiry between the increment's steps."""
    if not windows:
        return None
    keys = [window.key(now) for window in windows]
    try:
        counts = windows_count(
            {key: 2 * window.seconds for key, window in zip(keys, windows, strict=True)}
        )
    except Exception as exc:  # noqa: BLE001  (a rate limit never takes the API down)
        logger.warning(
            "The licensing rate limit %s is not counted (%s: %s); the request goes on",
            " and ".join(window.scope for window in windows),
            exc.__class__.__name__,
            exc,
        )
        return None
    waits = [
        window.retry_after(now)
        for key, window in zip(keys, windows, strict=True)
        if counts[key] > window.limit
    ]
    return max(waits) if waits else None


def window(scope: str, ident: str) -> Window | None:
    """The window of `scope` for `ident`, or None when that scope has no rate."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if not rate:
        return None
    limit, seconds = _rate(rate)
    return Window(scope=scope, ident=ident, limit=limit, seconds=seconds)


@memoize
def _rate(rate: str) -> tuple[int, int]:
    """'100/min' -> (100, 60)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


def client_address(request: Request) -> str:
    # X-Forwarded-For only counts behind a configured number of trusted proxies;
    # otherwise any client could pick its own address and dodge the limit.
    if api_settings.NUM_PROXIES:
        return BaseThrottle().get_ident(request)
    return request.META.get("REMOTE_ADDR", "")


class ClientAddressThrottle(BaseThrottle):
    """Per client address, for a request without a message (the public keys, a method
    an endpoint does not answer): before anything else. A message is counted against
    its address and its key together (:func:`request_wait`)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        self._wait = request_wait(request, None)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


def key_ident(decoded: envelope.Decoded) -> str | None:
    """The license key (activation) or installation (later requests) and signing key,
    read from the unverified message: it only counts requests, it grants nothing.

    The signing key id is part of the bucket so that junk sent for somebody's key under
    the sender's own installation key fills the sender's bucket, not the real proxy's:
    forging the real proxy's key id needs its public key, which never leaves it online.
    """
    message = decoded.unverified
    payload = message.payload
    ident = license_key_normalize(str(payload.get("license_key") or ""))
    if ident is None:
        installation = payload.get("installation_id")
        if not isinstance(installation, str) or not 0 < len(installation) <= 64:
            return None
        ident = "i:" + "".join(c for c in installation if c.isalnum() or c == "-")
    return ident + ":" + "".join(c for c in message.kid[:40] if c.isalnum() or c == "-")


def request_wait(request: Request, decoded: envelope.Decoded | None) -> int | None:
    """Count the request against its client address and, when its message (`decoded`,
    None when there is none or it could not be parsed) names a license key or an
    installation, against that key or installation too, in one call of the cache: None
    if it may go on, else the seconds to wait."""
    windows = [window("licensing_ip", client_address(request))]
    ident = key_ident(decoded) if decoded is not None else None
    if ident is not None:
        windows.append(window("licensing_key", ident))
    return windows_wait([w for w in windows if w is not None], time.time())
