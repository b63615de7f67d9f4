"""Register Key is rate-limited per user, so that nobody can try keys in bulk.

A fixed window counter in the shared cache (Redis in production): every attempt
counts, successful or not, because a correct guess is exactly what we must slow down.
"""

from __future__ import annotations

from django.core.cache import cache

REGISTER_ATTEMPTS = 10
REGISTER_WINDOW_SECONDS = 5 * 60


def window_count(cache_key: str, seconds: int) -> int:
    """Count one hit in the fixed window `cache_key` (opened by its first hit, for
    `seconds`); the hits so far. Also the licensing throttles' count while Redis is down."""
    # add() starts the window only if none is open; incr() is atomic in Redis.
    cache.add(cache_key, 0, timeout=seconds)
    try:
        return cache.incr(cache_key)
    except ValueError:  # the window closed between add() and incr()
        cache.set(cache_key, 1, timeout=seconds)
        return 1


def register_attempt_allowed(*, user_id: int) -> bool:
    """Count one attempt; False once the user has made too many in the window."""
    attempts = window_count(f"subscriptions:register-key:{user_id}", REGISTER_WINDOW_SECONDS)
    return attempts <= REGISTER_ATTEMPTS
