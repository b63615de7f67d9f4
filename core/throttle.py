"""Fixed-window rate limits in the shared cache (Redis in production).

A window is a cache key that lives for its window (its first hit opens it) and counts
its hits. :func:`windows_count` counts one hit in several windows in one call of the
cache: the portal's cache (``myaccount.cache``) does it in one Redis round trip, where
Django's ``add()`` and ``incr()`` took one to three per window (Redis' ``incr()`` first
asks whether the key exists). Any other cache counts with those two.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.cache import cache as default_cache
from django.core.cache.backends.base import BaseCache


def windows_count(windows: Mapping[str, int], *, cache: BaseCache | None = None) -> dict[str, int]:
    """Count one hit in each window (`windows`: cache key -> seconds a window it opens
    lives); the hits of each so far. Raises what the cache raises."""
    cache = cache if cache is not None else default_cache
    count = getattr(cache, "windows_count", None)
    return count(windows) if count is not None else windows_count_each(cache, windows)


def windows_count_each(cache: BaseCache, windows: Mapping[str, int]) -> dict[str, int]:
    """:func:`windows_count` with the cache API's add() and incr(), window by window:
    for caches without a call of their own (each of these steps is atomic; a window
    that closes between them opens again)."""
    counts = {}
    for key, seconds in windows.items():
        if cache.add(key, 1, timeout=seconds):
            counts[key] = 1
            continue
        try:
            counts[key] = cache.incr(key)
        except ValueError:  # the window closed between add() and incr()
            cache.set(key, 1, timeout=seconds)
            counts[key] = 1
    return counts


def window_count(cache_key: str, seconds: int) -> int:
    """Count one hit in the fixed window `cache_key` (opened by its first hit, for
    `seconds`); the hits so far."""
    return windows_count({cache_key: seconds})[cache_key]
