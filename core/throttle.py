"""Fixed-window rate limits in the shared cache (Redis in production)."""

from __future__ import annotations

from django.core.cache import cache


def window_count(cache_key: str, seconds: int) -> int:
    """Count one hit in the fixed window `cache_key` (opened by its first hit, for
    `seconds`); the hits so far."""
    # add() starts the window only if none is open; incr() is atomic in Redis.
    cache.add(cache_key, 0, timeout=seconds)
    try:
        return cache.incr(cache_key)
    except ValueError:  # the window closed between add() and incr()
        cache.set(cache_key, 1, timeout=seconds)
        return 1
