"""Register Key is rate-limited per user, so that nobody can try keys in bulk.

A fixed window counter in the shared cache (Redis in production): every attempt
counts, successful or not, because a correct guess is exactly what we must slow down.
"""

from __future__ import annotations

from core.throttle import window_count

REGISTER_ATTEMPTS = 10
REGISTER_WINDOW_SECONDS = 5 * 60


def register_attempt_allowed(*, user_id: int) -> bool:
    """Count one attempt; False once the user has made too many in the window."""
    attempts = window_count(f"subscriptions:register-key:{user_id}", REGISTER_WINDOW_SECONDS)
    return attempts <= REGISTER_ATTEMPTS
