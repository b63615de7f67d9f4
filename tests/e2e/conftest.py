"""Browser journeys in real headless Chromium (Debian's package), driven by Playwright.

Playwright's own browser download is not used: `make test` installs Debian's
chromium and we point Playwright at it with `executable_path`.
"""

from __future__ import annotations

import os
import shutil

import pytest

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


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class CSPWatch:
    """Collects the Content-Security-Policy violations Chromium reports in the console.

    Every page of every browser test runs under the portal's real policy (no inline
    script or style); a violation means a page lost a script or a style, so the test fails.
    """

    def __init__(self) -> None:
        self.violations: list[str] = []

    def watch(self, page) -> None:
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.page.url if message.page else ''}: {message.text}")


@pytest.fixture
def csp_watch():
    watch = CSPWatch()
    yield watch
    if watch.violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(watch.violations))


def open_page(browser, live_server, csp_watch, width: int, height: int):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    context.set_default_timeout(10_000)
    context.on("page", csp_watch.watch)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server, settings, csp_watch):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = live_server.url  # the public address every e-mail links to
    context, page = open_page(browser, live_server, csp_watch, 1280, 900)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server, settings, csp_watch):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = live_server.url  # the public address every e-mail links to
    context, page = open_page(browser, live_server, csp_watch, 390, 844)
    yield page
    context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/")
