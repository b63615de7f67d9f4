"""The zero-setup portal's process: scripts/run.sh in a temporary directory on a free port
with no environment of ours (SQLite, kombu's filesystem broker, a Celery worker and beat,
the loopback webhook receiver): none of the test run's Postgres or Redis.

One portal serves the whole test run. Under pytest-xdist the controller starts it as soon
as the workers have collected a zero-setup test, so that it migrates and loads the demo
data while the workers run other tests, and every worker uses that one (its address is in
a file, `STATE`, under the run's temporary directory); the controller stops it when the
run ends. Without xdist the test process starts and stops it itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
START_SECONDS = 180  # migrate, demo data and a cold worker on a busy 2-core machine
PASSWORD = "zero-setup-demo-pass"  # noqa: S105
STATE = "zero-setup-portal.json"  # in the run's base temporary directory
TESTS = "tests/zero_setup/"


@dataclass
class Portal:
    url: str
    run_dir: Path
    log: Path
    pid: int

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        """The run.sh process is there and not a zombie (the controller may own it)."""
        try:
            status = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return False
        return status.rsplit(")", 1)[1].split()[0] != "Z"

    def save(self, path: Path) -> None:
        state = {"url": self.url, "run_dir": str(self.run_dir), "log": str(self.log)}
        written = path.with_suffix(".tmp")
        written.write_text(json.dumps({**state, "pid": self.pid}))
        written.replace(path)  # whole, for a worker that reads it meanwhile

    @classmethod
    def load(cls, path: Path) -> Portal:
        state = json.loads(path.read_text())
        return cls(state["url"], Path(state["run_dir"]), Path(state["log"]), state["pid"])


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


def start(run_dir: Path) -> tuple[subprocess.Popen, Portal]:
    """scripts/run.sh started as `make run` starts it; does not wait for it to answer."""
    run_dir.mkdir(parents=True, exist_ok=True)
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
    return process, Portal(
        url=f"http://127.0.0.1:{port}", run_dir=run_dir, log=log, pid=process.pid
    )


def wait_until_ready(portal: Portal) -> None:
    """Until the sign-in page answers; fail with the log's tail if the script ended or
    START_SECONDS passed."""
    deadline = time.monotonic() + START_SECONDS
    while not _answers(f"{portal.url}/accounts/login/"):
        if not portal.running() or time.monotonic() > deadline:
            pytest.fail("make run's portal did not start:\n" + portal.log_text()[-4000:])
        time.sleep(0.3)


def stop(process: subprocess.Popen) -> None:
    """As Ctrl-C on `make run`: the script stops the server, worker, beat and receiver."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- the controller's side under pytest-xdist (hooks in tests/conftest.py) ---------------


class Shared:
    """The controller's portal: started once the workers have collected a zero-setup
    test, stopped as soon as every zero-setup test has finished (in a thread, while the
    workers go on with the rest of the run), or at the end of the run."""

    def __init__(self, basetemp: Path) -> None:
        self.state = basetemp / STATE
        self.process: subprocess.Popen | None = None
        self.pending: set[str] = set()  # the zero-setup tests not yet finished
        self._stopping: threading.Thread | None = None

    def start_for(self, nodeids: list[str]) -> None:
        tier = {nodeid for nodeid in nodeids if nodeid.startswith(TESTS)}
        if self.process is None and tier and self._stopping is None:
            self.pending = tier
            self.process, portal = start(self.state.parent / "zero-setup")
            portal.save(self.state)

    def finished(self, nodeid: str) -> None:
        """A test has finished: once the tier's last has, its portal stops."""
        if nodeid in self.pending:
            self.pending.discard(nodeid)
            if not self.pending and self.process is not None and self._stopping is None:
                self._stopping = threading.Thread(target=self.stop, daemon=True)
                self._stopping.start()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop(process)

    def stopped(self) -> None:
        """At the end of the run: stop it if it still runs, and wait for the stop."""
        if self._stopping is not None:
            self._stopping.join()
        self.stop()


def shared(state: Path) -> Portal | None:
    """In a worker: the controller's portal, once it answers; None if it has stopped (the
    worker then starts one of its own, and says why in the run's warnings)."""
    deadline = time.monotonic() + 30
    while not state.exists():  # written right after the start, before any test is dealt
        if time.monotonic() > deadline:
            pytest.fail(f"the test run's zero-setup portal was not started ({state} missing)")
        time.sleep(0.1)
    portal = Portal.load(state)
    if not portal.running():
        warnings.warn(
            "The run's zero-setup portal had stopped before this worker used it; the worker "
            f"starts its own. The end of its log ({portal.log}):\n{portal.log_text()[-2000:]}",
            stacklevel=2,
        )
        return None
    wait_until_ready(portal)
    return portal
