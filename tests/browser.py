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
# The features Playwright turns off in every Chromium it launches (playwright-core's
# chromiumSwitches.ts, as of the version in uv.lock). Chromium reads only the last
# --disable-features it is given, so ours below repeats them: otherwise they would be on
# again. tests/e2e/test_browser.py fails when Playwright turns off one more.
PLAYWRIGHT_DISABLED_FEATURES = [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
]
# Debian's chromium builds, for every window (each browser context of a journey), the
# address bar's suggestion list as a web page of its own in a renderer of its own
# (chrome://omnibox-popup.top-chrome/), which nobody types into here. Without it a
# context opens for about 40 % less of the browser's CPU (docs/testing.md); the pages a
# journey opens render and behave as before. The headless shell has no address bar.
BROWSER_UI_NOT_USED = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]

CHROMIUM_ARGS = [
    "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + BROWSER_UI_NOT_USED),
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
