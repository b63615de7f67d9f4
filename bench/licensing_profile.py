"""Profile of one licensing request, in process: its SQL and where its time goes.

Seeds keys in the database ``DATABASE_URL`` names (migrated first; default
``myaccount_bench_profile``), signs activation and usage-report bodies before the clock
starts, then sends each through the WSGI application gunicorn serves (middleware, URL
resolution, DRF, throttles, service):

    .venv/bin/python bench/licensing_profile.py [--requests 200] [--sql] [--top 30]

prints the queries of one request of each phase (``--sql``: their text and time), the
mean time per request of each phase, the CPU time of this process and of its Postgres
backend in it (half its requests without the profiler, half with it), and cProfile's functions by own time
(``--sort cumulative`` for the call tree's heavy branches). Redis at ``REDIS_URL``
(default ``redis://127.0.0.1:6379/5``) counts the throttles as in production.
"""

from __future__ import annotations

import argparse
import cProfile
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

    def call(method: str, path: str, body: str | None) -> None:
        if method == "get":
            environ = factory.get(path).environ
        else:
            environ = factory.post(path, body, content_type="application/json").environ
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
        method, path, body = calls[0]
        with CaptureQueriesContext(connection) as queries:
            call(method, path, body)
        print(f"{phase}: {len(queries)} queries")
        if args.sql:
            for query in queries.captured_queries:
                print(f"    {float(query['time']) * 1000:6.2f} ms  {query['sql'][:300]}")
        half = len(calls) // 2
        backend = _backend_cpu(connection)
        started, cpu = time.perf_counter(), time.process_time()
        for method, path, body in calls[1:half]:
            call(method, path, body)
        took = (time.perf_counter() - started) / max(half - 1, 1)
        cpu = (time.process_time() - cpu) / max(half - 1, 1)
        backend = (_backend_cpu(connection) - backend) / max(half - 1, 1)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for method, path, body in calls[half:]:
            call(method, path, body)
        profile.disable()
        profiled = (time.perf_counter() - started) / max(len(calls) - half, 1)
        print(
            f"{phase}: {took * 1000:.2f} ms per request, {cpu * 1000:.2f} ms of it this "
            f"process's CPU, {backend * 1000:.2f} ms its Postgres backend's "
            f"({profiled * 1000:.2f} ms profiled)"
        )
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
        print(f"{phase}: own time by package (profiled, per request)")
        for name, seconds in _by_package(stats):
            print(f"    {seconds / max(len(calls) - half, 1) * 1000:7.2f} ms  {name}")
    return 0


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
