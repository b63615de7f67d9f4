"""Celery tasks of the licensing protocol."""

from __future__ import annotations

from celery import shared_task

from licensing import services


@shared_task
def used_nonce_purge_task() -> int:
    """Forget the nonces of expired messages (a replay of one is refused as expired).
    Deleting what is already gone does no harm, so running twice is fine."""
    return services.used_nonce_purge()
