"""Profile of one licensing request, in process: its SQL and where its time goes.

Seeds keys in the database ``DATABASE_URL`` names (migrated first; default
``myaccount_bench_profile``), signs activation and usage-report bodies before the clock
starts, then sends each through the WSGI application gunicorn serves (middleware, URL
resolution, DRF, throttles, service):

    .venv/bin/python bench/licensing_profile.py [--requests 200] [--sql] [--top 30]

prints the queries of one request of each phase (``--sql``: their text and time), the
mean time per request of each phase, the CPU time of this process and of its Postgres
backend in it (half its requests without the profiler, half with it), and cProfile's functions by own
CPU time (``--timer wall``: by wall time, waits included)
(``--sort cumulative`` for the call tree's heavy branches). Redis at ``REDIS_URL``
(default ``redis://127.0.0.1:6379/5``) counts the throttles as in production.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

PG = "postgres://postgres@127.0.0.1:5432"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per phase")
    parser.add_argument("--sql", action="store_true", help="print each query's SQL")
    parser.add_argument("--top", type=int, default=30, help="functions of the profile shown")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--callers", help="also print who calls functions matching this")
    parser.add_argument(
        "--timer",
        choices=["cpu", "wall"],
        default="cpu",
        help="the profile's clock: this process's CPU time (waits on Postgres and Redis "
        "left out) or wall time",
    )
    args = parser.parse_args()

    from licensing.client import envelope

    key_file = Path(tempfile.mkdtemp(prefix="licensing-profile-")) / "portal.pem"
    key_file.write_text(envelope.private_key_pem(envelope.generate_private_key()))
    key_file.chmod(0o600)
    import activation as bench  # bench/activation.py: the same settings and seed

    env = bench.portal_env(key_file, 0)
    database = os.environ.get("DATABASE_URL", f"{PG}/myaccount_bench_profile")
    env.update(DATABASE_URL=database, REDIS_URL=os.environ.get("REDIS_URL", bench.REDIS_URL))
    name = database.rsplit("/", 1)[1]
    created = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f'CREATE DATABASE "{name}"'],
        capture_output=True,
    )
    del created  # exists already: fine
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
    )
    keys = bench.seed(env, args.requests + 1)
    activations, reports = bench.signed_bodies(keys, reports_each=1)
    os.environ.update(env)

    import django

    django.setup()
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from myaccount.wsgi import application  # what gunicorn serves: checks, URLconf, keys

    factory = RequestFactory(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
    collector = _Collections()
    gc.callbacks.append(collector)

    def environ(method: str, path: str, body: str | None) -> dict:
        if method == "get":
            return factory.get(path).environ
        return factory.post(path, body, content_type="application/json").environ

    def call(environ: dict) -> None:
        path = environ["PATH_INFO"]
        status: list[str] = []
        chunks = application(environ, lambda s, headers, exc_info=None: status.append(s))
        content = b"".join(chunks)
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: HTTP {status[0]} {content[:300]!r}")

    phases = {
        "public keys": [("get", "/api/licensing/public-keys/", None)] * args.requests,
        "activation": [("post", "/api/licensing/activate/", body) for body in activations],
        "usage report": [("post", "/api/licensing/usage/", body) for _, body in reports],
    }
    for phase, calls in phases.items():
        # The WSGI environ of each request is made before the clock starts.
        calls = [environ(*call_) for call_ in calls]
        with CaptureQueriesContext(connection) as queries:
            call(calls[0])
        print(f"{phase}: {len(queries)} queries")
        if args.sql:
            for query in queries.captured_queries:
                print(f"    {float(query['time']) * 1000:6.2f} ms  {query['sql'][:300]}")
        half = len(calls) // 2
        backend = _backend_cpu(connection)
        collector.reset()
        started, cpu = time.perf_counter(), time.process_time()
        batches = []  # CPU per request of each batch of 20: their minimum is the
        for first in range(1, half, 20):  # figure that other load distorts least
            batch = calls[first : min(first + 20, half)]
            batch_cpu = time.process_time()
            for request in batch:
                call(request)
            batches.append((time.process_time() - batch_cpu) / len(batch))
        took = (time.perf_counter() - started) / max(half - 1, 1)
        cpu = (time.process_time() - cpu) / max(half - 1, 1)
        backend = (_backend_cpu(connection) - backend) / max(half - 1, 1)
        collected = collector.summary(max(half - 1, 1))
        profile = cProfile.Profile(time.process_time if args.timer == "cpu" else time.perf_counter)
        started = time.perf_counter()
        profile.enable()
        for request in calls[half:]:
            call(request)
        profile.disable()
        profiled = (time.perf_counter() - started) / max(len(calls) - half, 1)
        print(
            f"{phase}: {took * 1000:.2f} ms per request, {cpu * 1000:.2f} ms of it this "
            f"process's CPU (least of a batch of 20: {min(batches) * 1000:.2f} ms), "
            f"{backend * 1000:.2f} ms its Postgres backend's "
            f"({profiled * 1000:.2f} ms profiled)\n{phase}: garbage collection {collected}"
        )
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(args.sort).print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
        print(out.getvalue())
        calls_made = stats.total_calls / max(len(calls) - half, 1)  # type: ignore[attr-defined]
        print(
            f"{phase}: {calls_made:,.0f} Python function calls per request (the same in every run)"
        )
        print(f"{phase}: own time by package (profiled, per request)")
        for name, seconds in _by_package(stats):
            print(f"    {seconds / max(len(calls) - half, 1) * 1000:7.2f} ms  {name}")
    return 0


class _Collections:
    """gc.callbacks: how often the collector ran, and for how long (generation 2 apart:
    it walks every object of the process, Django's own included)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.counts = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.counts[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self._started

    def summary(self, requests: int) -> str:
        total = sum(self.seconds) / requests * 1000
        return (
            f"{total:.3f} ms per request; runs per 100 requests by generation "
            + "/".join(f"{count * 100 / requests:.0f}" for count in self.counts)
            + f", generation 2 {self.seconds[2] / max(self.counts[2], 1) * 1000:.1f} ms each"
        )


def _backend_cpu(connection) -> float:
    """CPU seconds of this connection's Postgres backend so far (a local server whose
    /proc this process can read), or 0."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time summed by where the code lives: a package of site-packages, the standard
    library, this project's apps, or C functions (the database driver's execute, ...)."""
    totals: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename == "~":
            name = function.split(" of ")[-1].split("'")[1] if "'" in function else function
            name = "C: " + name.split(".")[0]
        elif "site-packages/" in filename:
            parts = filename.split("site-packages/")[1].split("/")
            name = "/".join(parts[:3]) if parts[0] == "django" else parts[0]
        elif filename.startswith(str(REPO)):
            name = "project: " + Path(filename).relative_to(REPO).parts[0]
        else:
            name = "stdlib"
        totals[name] = totals.get(name, 0.0) + own
    return sorted(totals.items(), key=lambda item: -item[1])[:25]


if __name__ == "__main__":
    sys.exit(main())
