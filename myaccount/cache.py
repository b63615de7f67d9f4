"""The cache backend: Redis, and this process's memory while Redis cannot be reached.

The cache holds nothing the portal cannot do without: allauth's sign-in rate limits
(and the lock around them), the used-TOTP-code markers, Register Key's attempt counter.
A license server must keep serving its users and proxies when Redis is down, so every
operation that fails with a Redis connection error is answered by a local in-memory
cache instead, with a logged warning: rate limits then hold per process (a limit of
N per minute becomes N per worker) rather than failing every request with a 500.

After a failure Redis is left alone for ``RETRY_SECONDS`` (each attempt against a
host that does not answer costs REDIS_TIMEOUT), then tried again. ``check_redis()`` asks
Redis itself, so ``/healthz`` still reports the cache as down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.throttle import windows_count_each

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
T = TypeVar("T")


def _resilient(name: str) -> Callable[..., Any]:
    def operation(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        return self._call(
            lambda: getattr(RedisCache, name)(self, *args, **kwargs),
            lambda: getattr(self._fallback, name)(*args, **kwargs),
        )

    operation.__name__ = name
    return operation


class LocalCache(LocMemCache):
    """Django's in-memory cache, counting rate-limit windows with core.throttle's call:
    the cache of ``make run`` without Redis, and Redis' fallback below."""

    def windows_count(self, windows: Mapping[str, int]) -> dict[str, int]:
        return windows_count_each(self, windows)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that falls back to process memory while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._fallback = LocalCache(
            f"redis-fallback:{server}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": 10_000}},
        )
        self._skip_until = 0.0

    def _call(self, redis_call: Callable[[], T], local_call: Callable[[], T]) -> T:
        if time.monotonic() >= self._skip_until:
            try:
                return redis_call()
            except UNREACHABLE as exc:
                self._skip_until = time.monotonic() + RETRY_SECONDS
                logger.warning(
                    "Redis cache unreachable (%s: %s); using this process's memory for "
                    "%ss (rate limits now count per process)",
                    exc.__class__.__name__,
                    exc,
                    RETRY_SECONDS,
                )
        return local_call()

    def check_redis(self, key: str, value: str) -> None:
        """Store `value` in Redis itself and read it back, or raise (for /healthz: the
        fallback would answer for a Redis that is down)."""
        RedisCache.set(self, key, value, 10)
        if RedisCache.get(self, key) != value:
            raise RuntimeError("cache did not return what was stored")

    def windows_count(self, windows: Mapping[str, int]) -> dict[str, int]:
        """core.throttle.windows_count in one round trip: for each window, count the hit
        (INCR, which opens a window at 1), then give the window its seconds unless it has
        them (EXPIRE NX, Redis 7), pipelined as Django's own set_many() pipelines its
        SETs. Whatever happens between the two, a window never outlives its seconds: one
        that closed in between is gone, EXPIRE NX leaves an open one's end alone."""

        def redis_call() -> dict[str, int]:
            keys = {name: self.make_and_validate_key(name) for name in windows}
            pipeline = self._cache.get_client(None, write=True).pipeline(transaction=False)
            for name, key in keys.items():
                pipeline.incr(key)
                pipeline.expire(key, windows[name], nx=True)
            results = pipeline.execute()
            return {name: int(results[2 * i]) for i, name in enumerate(keys)}

        return self._call(redis_call, lambda: self._fallback.windows_count(windows))

    # Every operation of the cache API (the others are built on these), each with its
    # local twin; both read a default timeout the same way (the same TIMEOUT setting).
    add = _resilient("add")
    get = _resilient("get")
    set = _resilient("set")
    touch = _resilient("touch")
    delete = _resilient("delete")
    get_many = _resilient("get_many")
    has_key = _resilient("has_key")
    incr = _resilient("incr")
    set_many = _resilient("set_many")
    delete_many = _resilient("delete_many")
    clear = _resilient("clear")
