"""The portal's one lock order, and the retry for a deadlock that happens anyway.

LOCK ORDER. A transaction that locks several rows locks them in this order, skipping
the ones it does not need, never coming back up:

    account  →  subscription  →  license key  →  installation (proxy server)

- The administrator's side goes down the whole chain: the account (the actor's role is
  re-read under it, accounts.services.is_account_admin), the subscription (quotas are
  counted under it), the key, then the installation that holds the key.
- An activation starts at the key (its row lock serialises the activations of one key)
  and then writes the installation; a refresh, usage report or deactivation starts at
  the installation. Neither ever locks an account or a subscription.

EVERY ROW LOCK IS ``FOR NO KEY UPDATE`` (``select_for_update(no_key=True)``), never
plain ``FOR UPDATE``. A row inserted with a foreign key (an installation, an audit entry)
takes a ``FOR KEY SHARE`` lock on the row it points at when the transaction commits (the
constraints are deferred). ``FOR UPDATE`` conflicts with ``KEY SHARE``; ``FOR NO KEY
UPDATE`` does not. So with plain ``FOR UPDATE`` on the account, an activation — holding
its key and inserting its installation and audit entry, which point at the account —
waited at commit for the administrator who held the account and waited for the key:
"deadlock detected" (issue 24, item 3). No service changes a primary key, so
``NO KEY UPDATE`` is all any of them needs: it still excludes every other writer of the
row (it conflicts with itself and with UPDATE).

A deadlock that still happens (a path outside this order, a lock Postgres takes on
its own) is retried by :func:`deadlock_retry` around the outermost transaction, a few
times, instead of reaching the client as a 500.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Postgres' SQLSTATEs for "try the transaction again": deadlock_detected and
# serialization_failure.
RETRYABLE = {"40P01", "40001"}
ATTEMPTS = 3


def _retryable(error: OperationalError) -> bool:
    return getattr(error.__cause__, "pgcode", None) in RETRYABLE


def deadlock_retry(service: Callable[P, T]) -> Callable[P, T]:
    """Run `service` (which opens its own transaction) again when Postgres aborted it
    as a deadlock victim: its transaction rolled back, so nothing of it happened.

    Only the outermost call retries: inside a caller's transaction the error goes up to
    the caller, whose whole transaction is what must run again."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        if connection.in_atomic_block:
            return service(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return service(*args, **kwargs)
            except OperationalError as error:
                if attempt == ATTEMPTS or not _retryable(error):
                    raise
                logger.warning(
                    "%s: %s; trying again (%s of %s)",
                    service.__qualname__,
                    str(error).splitlines()[0],
                    attempt + 1,
                    ATTEMPTS,
                )
                # The other transaction holds its locks until it commits: let it.
                time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover

    return run
