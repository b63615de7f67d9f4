"""The Chromiums of a test process (Debian's packages, driven by Playwright's sync API).

Playwright's sync API runs an event loop in its thread, so a process starts it once and
launches from it, in tests/conftest.py:

- `browser`: Debian's chromium, the browser people use, for the journeys (tests/e2e,
  tests/sso, the zero-setup sign-in): a person's clicks, dialogs, downloads;
- `sweep_browser`: Debian's chromium-headless-shell, the same Chromium (same version, same
  Blink) built as its headless shell, for the sweeps that open every page and only read
  it (the zero-setup crawl, the accessibility and layout sweeps). It opens a page for
  about half the CPU of the full browser's headless mode (docs/testing.md), which on a
  2-core machine is the difference that counts.
"""

from __future__ import annotations

import os
import shutil

# Playwright's sync API runs an event loop in this thread; the ORM calls that tests
# make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
HEADLESS_SHELL = (
    os.environ.get("CHROMIUM_HEADLESS_SHELL_PATH")
    or shutil.which("chromium-headless-shell")
    or "/usr/bin/chromium-headless-shell"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_launch(playwright, executable: str = CHROMIUM):
    if not os.path.exists(executable):
        import pytest

        pytest.fail(f"Chromium not found at {executable}: run `make browser` (make test does).")
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
