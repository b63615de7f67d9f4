"""Weekly usage reports at scale: 5,000 business accounts, 50,000 proxy servers and
2,000,000 usage rows on Postgres, then one run of the weekly job.

    .venv/bin/python bench/weekly_report.py             # full volume (a few minutes)
    .venv/bin/python bench/weekly_report.py --scale 0.1 # a tenth of it

It uses its own database (default postgres://postgres@127.0.0.1:5432/myaccount_bench_reports),
creates and migrates it, seeds it unless it already holds this volume, and runs
`weekly_reports_run` in a fresh child process so that the peak memory printed is
the job's and not the seeding's. Prints the time per 1,000 accounts and the peak
memory (the child's VmHWM, and the Python heap peak from tracemalloc when
`--tracemalloc` is given - it slows the run down).

The e-mails are not sent: the job enqueues one task per report (counted here);
workers send them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/myaccount_bench_reports"
NOW = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)  # a Monday: the report covers 03/03-03/09
ACCOUNTS = 5_000
PROXIES_PER_ACCOUNT = 10  # one primary key and nine sublicenses, one installation each
USAGE_DAYS = 40  # 50,000 proxies x 40 days = 2,000,000 usage rows
FIRST_DAY = date(2025, 3, 9) - timedelta(days=USAGE_DAYS - 1)


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "myaccount.settings"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ["REDIS_URL"] = ""
    # Production settings: DEBUG off (no query log kept in memory).
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def _create_and_migrate(database_url: str) -> None:
    import psycopg2

    server, name = database_url.rsplit("/", 1)
    connection = psycopg2.connect(f"{server}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url, "REDIS_URL": ""},
        check=True,
    )


def _seed(accounts: int) -> None:
    from django.db import connection, transaction

    from accounts.models import Account, Membership, User
    from proxies.models import ProxyServer, UsageReport
    from reports.models import WeeklyReport
    from subscriptions.models import LicenseKey, Product, Subscription

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Only the bench database is ever touched here.
        cursor.execute(f"TRUNCATE {WeeklyReport._meta.db_table}, {UsageReport._meta.db_table}")
    ProxyServer.objects.all().delete()
    LicenseKey.objects.all().delete()
    Subscription.objects.all().delete()
    Membership.objects.all().delete()
    Account.objects.all().delete()
    User.objects.filter(email__endswith="@bench.example").delete()
    product, _ = Product.objects.get_or_create(code="bench", defaults={"name": "Mac Management"})

    chunk = 500
    activated = datetime(2024, 1, 1, tzinfo=UTC)
    for first in range(0, accounts, chunk):
        numbers = range(first, min(first + chunk, accounts))
        with transaction.atomic():
            company = Account.objects.bulk_create(
                [Account(kind=Account.Kind.BUSINESS, name=f"Company {n:05d}") for n in numbers]
            )
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"admin{n}@bench.example",
                        first_name="Admin",
                        last_name=str(n),
                        password="!",
                    )
                    for n in numbers
                ]
            )
            Membership.objects.bulk_create(
                [
                    Membership(user=u, account=a, role=Membership.Role.ADMIN)
                    for u, a in zip(users, company, strict=True)
                ]
            )
            subscriptions = Subscription.objects.bulk_create(
                [
                    Subscription(
                        product=product,
                        account=a,
                        licenses=1000,
                        starts_on=date(2024, 1, 1),
                        ends_on=date(2025, 3, 20) if a.pk % 7 == 0 else date(2026, 1, 1),
                    )
                    for a in company
                ]
            )
            keys = LicenseKey.objects.bulk_create(
                [
                    LicenseKey(
                        subscription=s,
                        type=LicenseKey.Type.PRIMARY if i == 0 else LicenseKey.Type.RESERVED,
                        quota=None if i == 0 else 50,
                        name="" if i == 0 else f"Site {i}",
                    )
                    for s in subscriptions
                    for i in range(PROXIES_PER_ACCOUNT)
                ]
            )
            ProxyServer.objects.bulk_create(
                [
                    ProxyServer(
                        account_id=k.subscription.account_id,
                        license_key=k,
                        installation_id=uuid.uuid4(),
                        installation_public_key="bench",
                        installation_key_id="bench",
                        server_name=f"proxy-{k.pk}",
                        site_code=f"S{k.pk % 1000:03d}",
                        method=ProxyServer.Method.ONLINE,
                        activated_at=activated,
                        # One server in 20 went silent two weeks ago.
                        last_report_at=datetime(2025, 2, 24, tzinfo=UTC)
                        if k.pk % 20 == 0
                        else datetime(2025, 3, 9, 23, tzinfo=UTC),
                    )
                    for k in keys
                ],
                batch_size=1000,
            )
        print(f"  seeded {numbers[-1] + 1:,} accounts", flush=True)

    # 2,000,000 usage rows go in with COPY, one chunk of proxies at a time.
    proxy_ids = list(ProxyServer.objects.order_by("id").values_list("id", flat=True))
    columns = "proxy_server_id, date, registered_computers, peak, licenses, received_at"
    received = "2025-03-10 00:00:00+00"
    rows = 0
    with connection.cursor() as cursor:
        for first in range(0, len(proxy_ids), 5000):
            buffer = io.StringIO()
            for proxy_id in proxy_ids[first : first + 5000]:
                for day in range(USAGE_DAYS):
                    # Peaks wander between 10 and 69; one proxy in 9 goes over its 50.
                    peak = 10 + (proxy_id * 7 + day * 3) % 60
                    if proxy_id % 9:
                        peak = min(peak, 50)
                    the_day = FIRST_DAY + timedelta(days=day)
                    buffer.write(f"{proxy_id}\t{the_day}\t{peak}\t{peak}\t50\t{received}\n")
                    rows += 1
            buffer.seek(0)
            cursor.copy_expert(f"COPY {UsageReport._meta.db_table} ({columns}) FROM STDIN", buffer)
        cursor.execute("ANALYZE")
    print(
        f"Seeded {accounts:,} accounts, {len(proxy_ids):,} proxies, {rows:,} usage rows "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _volume() -> tuple[int, int, int]:
    from accounts.models import Account
    from proxies.models import ProxyServer, UsageReport

    return (
        Account.objects.filter(kind=Account.Kind.BUSINESS).count(),
        ProxyServer.objects.count(),
        UsageReport.objects.count(),
    )


def _vm_kib(field: str) -> int:
    """VmRSS / VmHWM of this process in KiB (Linux). Unlike ru_maxrss, which Linux carries
    over from the parent across fork and exec, VmHWM belongs to this process alone."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # pragma: no cover - not Linux


def _reset_peak_rss() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def run_only(*, batch_size: int, trace: bool) -> None:
    """The measured part, in its own process: one run of the weekly job."""
    import tracemalloc

    from django.db import connection

    from outbox import tasks
    from reports import services
    from reports.models import WeeklyReport

    WeeklyReport.objects.all().delete()
    enqueued: list[int] = []
    tasks.email_send_task.delay = enqueued.append  # workers would send these
    rss_before = _vm_kib("VmRSS")
    _reset_peak_rss()
    if trace:
        tracemalloc.start()
    done = 0
    marks: list[tuple[int, float]] = []
    started = time.perf_counter()

    def on_batch(count: int) -> None:
        nonlocal done
        done += count
        marks.append((done, time.perf_counter() - started))

    built = services.weekly_reports_run(now=NOW, batch_size=batch_size, on_batch=on_batch)
    elapsed = time.perf_counter() - started
    heap_peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss_peak = _vm_kib("VmHWM")

    per_batch = [b - a for (_, a), (_, b) in zip([(0, 0.0), *marks], marks, strict=False)]
    print(f"Built {built:,} reports in {elapsed:.1f} s, enqueued {len(enqueued):,} e-mails")
    print(f"Time per 1,000 accounts: {elapsed / (done / 1000):.2f} s (batches of {batch_size})")
    print(
        f"Batch time: min {min(per_batch):.2f} s, max {max(per_batch):.2f} s "
        f"over {len(per_batch)} batches"
    )
    print(
        f"Peak memory (VmHWM of the process during the run): {rss_peak / 1024:.0f} MiB, "
        f"{(rss_peak - rss_before) / 1024:.0f} MiB above the {rss_before / 1024:.0f} MiB "
        "resident before it (Django loaded)"
    )
    if heap_peak is not None:
        print(f"Peak Python heap during the run (tracemalloc): {heap_peak / 2**20:.1f} MiB")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE over_limit),"
            " count(*) FILTER (WHERE jsonb_array_length(data->'stale_proxies') > 0),"
            " count(*) FILTER (WHERE jsonb_array_length(data->'expiring_keys') > 0),"
            " avg(jsonb_array_length(data->'proxies'))"
            f" FROM {WeeklyReport._meta.db_table}"
        )
        over, silent, expiring, proxies = cursor.fetchone()
    print(
        f"Reports: {over:,} over the license limit, {silent:,} with silent servers, "
        f"{expiring:,} with keys ending within 30 days, {proxies:.1f} proxies each on average"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full volume")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--reseed", action="store_true", help="seed even if the volume is there")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap")
    parser.add_argument("--run-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run_only:
        _setup_django(args.database_url)
        run_only(batch_size=args.batch_size, trace=args.tracemalloc)
        return

    accounts = max(1, round(ACCOUNTS * args.scale))
    _create_and_migrate(args.database_url)
    _setup_django(args.database_url)
    expected = (
        accounts,
        accounts * PROXIES_PER_ACCOUNT,
        accounts * PROXIES_PER_ACCOUNT * USAGE_DAYS,
    )
    if args.reseed or _volume() != expected:
        print(
            f"Seeding {expected[0]:,} accounts, {expected[1]:,} proxies, "
            f"{expected[2]:,} usage rows ...",
            flush=True,
        )
        _seed(accounts)
    else:
        print(f"Reusing the seeded volume: {expected[0]:,} / {expected[1]:,} / {expected[2]:,}")
    command = [
        sys.executable,
        __file__,
        "--run-only",
        "--database-url",
        args.database_url,
        "--batch-size",
        str(args.batch_size),
    ]
    if args.tracemalloc:
        command.append("--tracemalloc")
    subprocess.run(command, cwd=BASE_DIR, check=True)


if __name__ == "__main__":
    main()
