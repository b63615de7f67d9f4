"""The zero-setup tier: the portal exactly as `make run` starts it, checked as people see it.

One session starts scripts/run.sh in a temporary directory on a free port with no
environment of ours (SQLite, kombu's filesystem broker, a Celery worker and beat, the
loopback webhook receiver): none of the test run's Postgres or Redis. The tests drive
it over HTTP and in one headless Chromium (tests/e2e/conftest.py launches it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
START_SECONDS = 180  # migrate, demo data and a cold worker on a busy 2-core machine
PASSWORD = "zero-setup-demo-pass"  # noqa: S105
ADMIN = "demo@example.com"  # an Account Administrator of My Company, Inc.
MEMBER = "david.lewis@example.com"  # a Regular Member of it


@dataclass
class Portal:
    url: str
    run_dir: Path
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Portal:
    run_dir = tmp_path_factory.mktemp("zero-setup")
    port = _free_port()
    log = run_dir / "run.log"
    # What a newcomer's shell has: no DATABASE_URL, REDIS_URL or broker of the test run.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(run_dir),
        "LANG": "C.UTF-8",
        "PORT": str(port),
        "RUN_DIR": str(run_dir),
        "DEMO_PASSWORD": PASSWORD,
        "BIN": str(Path(sys.executable).parent),
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", str(BASE_DIR / "scripts" / "run.sh")],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    try:
        while not _answers(f"{url}/accounts/login/"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("make run's portal did not start:\n" + log.read_text()[-4000:])
            time.sleep(0.3)
        yield Portal(url=url, run_dir=run_dir, log=log)
    finally:
        # As Ctrl-C on `make run`: the script stops the server, worker, beat and receiver.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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
