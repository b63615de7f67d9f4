"""The zero-setup tier: the portal exactly as `make run` starts it, checked as people see it.

The portal (tests/zero_setup/portal.py) is scripts/run.sh in a temporary directory on a
free port with no environment of ours (SQLite, kombu's filesystem broker, a Celery worker
and beat, the loopback webhook receiver): none of the test run's Postgres or Redis. One
portal serves the whole run (under pytest-xdist every worker uses the one the controller
started). The tests drive it over HTTP and in the process's one headless Chromium
(tests/conftest.py launches it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.zero_setup import portal as zero_setup
from tests.zero_setup.portal import PASSWORD, Portal

ADMIN = "demo@example.com"  # an Account Administrator of My Company, Inc.
MEMBER = "david.lewis@example.com"  # a Regular Member of it


@pytest.fixture(scope="session")
def portal(request, tmp_path_factory) -> Portal:
    workerinput = getattr(request.config, "workerinput", None)
    if workerinput is not None and workerinput.get("zero_setup_state"):
        shared = zero_setup.shared(Path(workerinput["zero_setup_state"]))
        if shared is not None:
            yield shared
            return
    process, started = zero_setup.start(tmp_path_factory.mktemp("zero-setup"))
    try:
        zero_setup.wait_until_ready(started)
        yield started
    finally:
        zero_setup.stop(process)


def sign_in(browser, portal: Portal, email: str) -> dict:  # noqa: F811
    """The cookies of a signed-in session, for every context of the session."""
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{portal.url}/")
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="session")
def sessions(browser, portal) -> dict[str, dict | None]:  # noqa: F811
    return {
        "admin": sign_in(browser, portal, ADMIN),
        "member": sign_in(browser, portal, MEMBER),
        "visitor": None,
    }
