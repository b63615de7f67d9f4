"""Awaiting a condition, with a deadline: the one way a test waits.

A test never sleeps a fixed time hoping something has happened, never spins without a
limit and never asserts how long something took: it names what it waits for, polls it,
and fails after ``timeout`` saying what never came (and whatever ``details`` adds, such
as the log of the process concerned).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

# Generous: a cold process start on a busy 2-core machine shared by several test runs.
TIMEOUT = 60.0


def wait_until(
    condition: Callable[[], T],
    *,
    what: str,
    timeout: float = TIMEOUT,
    interval: float = 0.02,
    details: Callable[[], str] = lambda: "",
) -> T:
    """Call ``condition`` until it returns something truthy and return that; fail the test
    if it has not after ``timeout`` seconds. The pause between two calls grows from
    ``interval`` to at most a quarter of a second."""
    deadline = time.monotonic() + timeout
    pause = interval
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"No {what} after {timeout:g} s.\n{details()}".rstrip(), pytrace=False)
        time.sleep(pause)
        pause = min(pause * 2, 0.25)
