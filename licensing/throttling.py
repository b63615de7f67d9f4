"""The licensing API's rate limits: per client address and per license key or installation.

Every request counts against its client address (``licensing_ip``); a request whose
message names a license key (activation) or an installation (every later request)
counts against that key or installation too (``licensing_key``). The rates are
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

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

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

    def wait(self, now: float) -> int | None:
        """Count one request in this window: None if it may go on, else the seconds to
        wait. A cache that fails lets it go on (see the module)."""
        key = self.key(now)
        try:
            # Most windows see one request (a proxy calls every few hours, from its
            # own address): opening one is a single round trip. The window's key names
            # its window and outlives it (twice its length), so a count never loses
            # its expiry between the increment's steps.
            count = 1 if cache.add(key, 1, timeout=2 * self.seconds) else cache.incr(key)
        except Exception as exc:  # noqa: BLE001  (a rate limit never takes the API down)
            logger.warning(
                "The licensing rate limit %s is not counted (%s: %s); the request goes on",
                self.scope,
                exc.__class__.__name__,
                exc,
            )
            return None
        return self.retry_after(now) if count > self.limit else None


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
    """Per client address: every request, before its body is read."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        limit = window("licensing_ip", client_address(request))
        self._wait = limit.wait(time.time()) if limit is not None else None
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


def key_wait(decoded: envelope.Decoded) -> int | None:
    """Count the request against the key or installation its message names: None if it
    may go on, else the seconds to wait."""
    ident = key_ident(decoded)
    limit = window("licensing_key", ident) if ident is not None else None
    return limit.wait(time.time()) if limit is not None else None
