"""The journeys' Chromium: Debian's browser as Playwright launches it, without the
address bar's suggestion page that nobody here types into (tests/browser.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _command_line(browser) -> list[str]:
    """The browser process's arguments, as Linux holds them."""
    session = browser.new_browser_cdp_session()
    try:
        processes = session.send("SystemInfo.getProcessInfo")["processInfo"]
    finally:
        session.detach()
    (pid,) = [process["id"] for process in processes if process["type"] == "browser"]
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def test_the_journeys_chromium_keeps_every_feature_playwright_turns_off(browser):
    """Chromium reads only the last --disable-features: ours must hold Playwright's."""
    lists = [
        set(argument.split("=", 1)[1].split(","))
        for argument in _command_line(browser)
        if argument.startswith("--disable-features=")
    ]
    assert len(lists) >= 2, "Playwright's own --disable-features is gone: see tests/browser.py"
    missing = set().union(*lists[:-1]) - lists[-1]
    assert not missing, f"add to PLAYWRIGHT_DISABLED_FEATURES in tests/browser.py: {missing}"


def test_a_journeys_window_opens_no_address_bar_suggestion_page(browser, live_server):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        assert page.get_by_role("button", name="Sign In").is_visible()
        session = browser.new_browser_cdp_session()
        targets = session.send("Target.getTargets", {"filter": [{}]})["targetInfos"]
        session.detach()
    finally:
        context.close()
    urls = [target["url"] for target in targets]
    assert f"{live_server.url}/accounts/login/" in urls
    assert not [url for url in urls if url.startswith("chrome://omnibox-popup")], urls
