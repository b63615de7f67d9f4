"""The one Chromium of a test process (Debian's package, driven by Playwright's sync API).

Playwright's sync API runs an event loop in its thread, so a process may start it once:
every tier that drives a browser (tests/e2e, tests/sso, tests/zero_setup ...) shares the
session's `browser` fixture of tests/conftest.py, never a second one of its own.
"""

from __future__ import annotations

import os
import shutil

# Playwright's sync API runs an event loop in this thread; the ORM calls that tests
# make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_launch(playwright):
    if not os.path.exists(CHROMIUM):
        import pytest

        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (make test does).")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
