"""Benchmark: online activations and usage reports against the portal under gunicorn.

Starts the portal the production way (gunicorn, DEBUG=0, Postgres, Redis) on a
loopback port with a database of its own (``myaccount_bench``, dropped and migrated
first), then drives it from concurrent client threads that speak the licensing
protocol with the envelope library directly (requests are signed before the clock
starts, so the client's own crypto is not measured). It measures, in the same run and
on the same server, a trivial endpoint (GET /api/licensing/public-keys/) and prints
requests per second, p50 and p99 latency, and the ratios.

    .venv/bin/python bench/activation.py [--activations 400] [--clients 8] [--workers 4]

Needs Postgres at 127.0.0.1:5432 (user postgres) and Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from licensing.client import envelope  # noqa: E402  (pure Python, no Django)

DB_NAME = "myaccount_bench"
PG = "postgres://postgres@127.0.0.1:5432"
PHASE_TIME_LIMIT = 60.0


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    elapsed: float

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<28} {len(self.latencies):>6} ok {self.errors:>4} err  "
            f"{self.rps:>8.1f} req/s  p50 {self.pct(0.50):>7.1f} ms  p99 {self.pct(0.99):>7.1f} ms"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


def portal_env(key_file: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LICENSING_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="myaccount.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL="redis://127.0.0.1:6379/5",
        CACHE_KEY_PREFIX=f"bench-{port}",
        CELERY_TASK_ALWAYS_EAGER="1",
        LICENSING_SIGNING_KEYS=f"bench-1={key_file}",
        # The benchmark measures the service, not the throttle's refusals.
        LICENSING_THROTTLE_IP="100000000/min",
        LICENSING_THROTTLE_KEY="100000000/min",
        LOG_LEVEL="WARNING",
    )
    return env


def seed(env: dict[str, str], count: int) -> list[str]:
    """Create a business account with `count` subscriptions, one primary key each."""
    script = f"""
import json
from datetime import date, timedelta
from django.utils import timezone
from accounts.models import Account
from subscriptions.models import LicenseKey, Product, Subscription
account = Account.objects.create(kind="business", name="Bench Corp")
product, _ = Product.objects.get_or_create(code="pmm", defaults={{"name": "PMM"}})
today = timezone.localdate()
subs = Subscription.objects.bulk_create([
    Subscription(product=product, account=account, licenses=100, starts_on=today,
                 ends_on=today + timedelta(days=365), registered_at=timezone.now())
    for _ in range({count})
])
keys = LicenseKey.objects.bulk_create([LicenseKey(subscription=s, type="primary") for s in subs])
print(json.dumps([k.key for k in keys]))
"""
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def wait_ready(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(f"{base}/api/licensing/public-keys/", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise SystemExit("the portal did not come up")


def call(url: str, body: bytes | None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def drive(
    name: str, jobs: list[Callable[[], bool]], clients: int, time_limit: float = PHASE_TIME_LIMIT
) -> Result:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    queue = list(reversed(jobs))
    deadline = time.monotonic() + time_limit

    def worker() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            started = time.perf_counter()
            ok = job()
            spent = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(spent)
                else:
                    errors += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(name, latencies, errors, time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activations", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-activation-"))
    portal_key = envelope.generate_private_key()
    key_file = workdir / "portal.pem"
    key_file.write_text(envelope.private_key_pem(portal_key))
    key_file.chmod(0o600)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = portal_env(key_file, port)

    print(f"database {DB_NAME}: drop, create, migrate ...", flush=True)
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
    )
    keys = seed(env, args.activations)

    # Requests are signed up front: the run measures the portal, not this process.
    now = datetime.now(UTC)
    installations = [envelope.generate_private_key() for _ in keys]
    ids = [str(uuid.uuid4()) for _ in keys]
    activations, reports = [], []
    for key, private_key, installation_id in zip(keys, installations, ids, strict=True):
        common = {"installation_id": installation_id}
        activations.append(
            envelope.seal(
                message_type="activation_request",
                payload={
                    **common,
                    "license_key": key,
                    "installation_public_key": envelope.public_key_pem(private_key),
                    "server_name": f"bench-{installation_id[:8]}",
                    "site_code": "BEN",
                    "site_description": "",
                    "app_version": "bench",
                    "method": "online",
                },
                private_key=private_key,
                now=now,
                ttl=timedelta(minutes=30),
            )
        )
        reports.append(
            envelope.seal(
                message_type="usage_report",
                payload={
                    **common,
                    "registered_computers": 42,
                    "peak": 50,
                    "date": now.date().isoformat(),
                },
                private_key=private_key,
                now=now,
                ttl=timedelta(minutes=30),
            )
        )

    print(f"gunicorn: {args.workers} sync workers on {base} ...", flush=True)
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "myaccount.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    try:
        wait_ready(base, gunicorn)
        answers: list[bytes] = []

        def trivial() -> bool:
            return call(f"{base}/api/licensing/public-keys/", None)[0] == 200

        def post(path: str, text: str) -> Callable[[], bool]:
            def job() -> bool:
                status, body = call(f"{base}{path}", json.dumps({"message": text}).encode())
                if status == 200 and len(answers) < 3:
                    answers.append(body)
                return status == 200

            return job

        # Warm every worker up (imports, connections) before measuring.
        drive("warm-up", [trivial] * (args.workers * 10), args.clients)
        results = [
            drive("trivial (public-keys)", [trivial] * (2 * len(keys)), args.clients),
            drive(
                "activation",
                [post("/api/licensing/activate/", t) for t in activations],
                args.clients,
            ),
            drive(
                "usage report", [post("/api/licensing/usage/", t) for t in reports], args.clients
            ),
            drive("trivial again", [trivial] * (2 * len(keys)), args.clients),
        ]
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)

    # The answers really are signed by the portal key.
    for body in answers:
        message = json.loads(body)["message"]
        envelope.open_envelope(
            message,
            expected_types=["activation_response", "usage_response"],
            public_keys={"bench-1": portal_key.public_key()},
        )

    print()
    print(
        f"{len(keys)} installations, {args.clients} client threads, {args.workers} gunicorn "
        f"workers, {os.cpu_count()} CPUs, loopback"
    )
    for result in results:
        print(result.line())
    trivial_rps = statistics.mean([results[0].rps, results[3].rps])
    for result in results[1:3]:
        print(
            f"{result.name}: {result.rps / trivial_rps:.2f}x the trivial endpoint's throughput, "
            f"p50 latency {result.pct(0.5) / results[0].pct(0.5):.1f}x"
        )
    failed = sum(r.errors for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
