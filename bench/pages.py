"""Benchmark: the portal's pages at size against the same pages with ten rows.

One Postgres database of its own (``myaccount_bench_pages``, or ``BENCH_PAGES_DATABASE``)
holds two business accounts:

- "Big Corp": 1,000 license keys (one subscription: its primary key and 999
  sublicenses), 10,000 proxy servers (1,000 holding a key, 9,000 deactivated before),
  3,650,000 usage rows (ten years of daily reports of the 1,000 active servers), 2,000
  members and 1,000,000 audit entries;
- "Small Corp": ten of each (ten keys, ten servers, ten usage rows of one server, ten
  members, ten audit entries).

The data is written by the database itself (``INSERT ... SELECT generate_series``),
then ANALYZEd. Each page is rendered in-process through Django's test client, as the
accounts' administrators, the production way (DEBUG off): server time (median of
``--runs`` after one warm-up) and queries for both accounts, then the CSV export of all
the big account's servers, consumed as a client would, with its peak of traced memory.

    .venv/bin/python bench/pages.py [--scale 1.0] [--runs 3] [--reuse]

``--scale 0.1`` divides every "big" number by ten (a quick run); ``--reuse`` keeps the
database of the previous run of the same scale (only migrations run), for iterating on
an index. Goals (issue 13): each page at size <= 2x its time with ten rows, under 200 ms,
the same number of queries; the export under 150 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DB_NAME = os.environ.get("BENCH_PAGES_DATABASE", "myaccount_bench_pages")
PG = "postgres://postgres@127.0.0.1:5432"
GOAL_RATIO = 2.0
GOAL_MS = 200.0
GOAL_EXPORT_MB = 150.0


def configure_django() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="myaccount.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-" + "x" * 50,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        CELERY_TASK_ALWAYS_EAGER="1",
        LICENSING_DEV_KEY_ALLOWED="1",
        LICENSING_DEV_KEY_DIR=tempfile.mkdtemp(prefix="bench-pages-keys-"),
        LOG_LEVEL="ERROR",
    )
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "LICENSING_SIGNING_KEYS"):
        os.environ.pop(name, None)
    import django

    django.setup()


def psql(sql: str) -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAq", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


# --- data ---------------------------------------------------------------------------------

# A license key in the portal's alphabet: 25 symbols of md5 mapped onto it, in groups of 5.
KEY_SQL = """
    regexp_replace(
        translate(upper(substr(md5(%(seed)s), 1, 25)), '0123456789ABCDEF', 'ABCDEFGHJKLMNPQR'),
        '(.{5})(.{5})(.{5})(.{5})(.{5})', '\\1-\\2-\\3-\\4-\\5')
"""


@dataclass(frozen=True)
class Size:
    keys: int
    servers: int
    active: int
    usage_days: int
    usage_servers: int
    members: int
    audit: int


def sizes(scale: float) -> dict[str, Size]:
    def scaled(n: int) -> int:
        return max(10, int(n * scale))

    return {
        "big": Size(
            keys=scaled(1000),
            servers=scaled(10_000),
            active=scaled(1000),
            usage_days=3650,
            usage_servers=scaled(1000),
            members=scaled(2000),
            audit=scaled(1_000_000),
        ),
        "small": Size(
            keys=10, servers=10, active=10, usage_days=10, usage_servers=1, members=10, audit=10
        ),
    }


def generate(cursor, label: str, size: Size) -> None:
    """One business account of `size`, written by Postgres in a few statements."""
    name = f"{label.title()} Corp"
    step = time.perf_counter()

    def run(sql: str, params: dict | None = None) -> None:
        cursor.execute(sql, {"label": label, "name": name, **(params or {})})

    run(
        "INSERT INTO accounts_account (kind, name, street, city, country, state, zip_code,"
        " phone, created_at) VALUES ('business', %(name)s, '', '', 'US', '', '', '', now())"
    )
    run("CREATE TEMP TABLE IF NOT EXISTS bench_ids (label text PRIMARY KEY, account_id bigint)")
    run("INSERT INTO bench_ids SELECT %(label)s, id FROM accounts_account WHERE name = %(name)s")
    account = "(SELECT account_id FROM bench_ids WHERE label = %(label)s)"
    # Users: the administrator first, then the members.
    run(
        "INSERT INTO accounts_user (password, is_superuser, is_staff, is_active, date_joined,"
        " email, first_name, last_name, language, time_zone)"
        " SELECT '!', false, false, true, now() - g * interval '1 hour',"
        " %(label)s || '-' || g || '@bench.example', 'User' || g, %(label)s, '', ''"
        " FROM generate_series(0, %(members)s - 1) g",
        {"members": size.members},
    )
    run(
        "INSERT INTO accounts_membership (role, status, notes, created_at, account_id, user_id)"
        f" SELECT CASE WHEN u.email = %(label)s || '-0@bench.example' THEN 'admin'"
        "  WHEN u.id %% 10 = 0 THEN 'admin' ELSE 'member' END,"
        " CASE WHEN u.id %% 17 = 0 THEN 'blocked' ELSE 'active' END, '', u.date_joined,"
        f" {account}, u.id FROM accounts_user u WHERE u.email LIKE %(label)s || '-%%@bench.example'"
    )
    # One subscription: its primary key and the sublicenses (reserved and dynamic).
    run(
        "INSERT INTO subscriptions_subscription (name, licenses, starts_on, ends_on, renewal,"
        " is_trial, offline_allowed, contract_details, registered_at, created_at, account_id,"
        " product_id)"
        " SELECT %(name)s || ' fleet', %(licenses)s, current_date - 3650, current_date + 365,"
        f" true, false, true, '', now(), now(), {account},"
        " (SELECT id FROM subscriptions_product WHERE code = 'pmm')",
        {"licenses": size.keys * 100},
    )
    subscription = f"(SELECT id FROM subscriptions_subscription WHERE account_id = {account})"
    run(
        "INSERT INTO subscriptions_licensekey (key, name, type, quota, renew_with_subscription,"
        " expires_on, created_at, subscription_id)"
        f" SELECT {KEY_SQL % {'seed': '%(label)s || g'}},"
        " CASE WHEN g = 0 THEN '' ELSE 'Site ' || g END,"
        " CASE WHEN g = 0 THEN 'primary' WHEN g %% 2 = 0 THEN 'reserved' ELSE 'dynamic' END,"
        " CASE WHEN g = 0 THEN NULL WHEN g %% 2 = 0 THEN 40 ELSE 80 END,"
        " g %% 5 <> 0, CASE WHEN g %% 5 = 0 THEN current_date + (g %% 400) END,"
        f" now(), {subscription} FROM generate_series(0, %(keys)s - 1) g",
        {"keys": size.keys},
    )
    # Servers: the first `active` hold one key each; the others were deactivated before.
    run(
        "CREATE TEMP TABLE bench_keys AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n"
        f" FROM subscriptions_licensekey WHERE subscription_id = {subscription}"
    )
    run(
        "INSERT INTO proxies_proxyserver (activation_id, installation_id,"
        " installation_public_key, installation_key_id, server_name, site_code,"
        " site_description, app_version, method, status, activated_at, deactivated_at,"
        " last_refresh_at, last_report_at, registered_computers, notes, account_id,"
        " license_key_id)"
        " SELECT gen_random_uuid(), gen_random_uuid(), '-', 'k-' || substr(md5(g::text), 1, 16),"
        " 'pmm-' || %(label)s || '-' || lpad(g::text, 5, '0') || '.example.com',"
        " 'S' || (g %% 97), 'Building ' || (g %% 13), '7.' || (g %% 4),"
        " CASE WHEN g %% 7 = 0 THEN 'offline' ELSE 'online' END,"
        " CASE WHEN g < %(active)s THEN 'active' ELSE 'deactivated' END,"
        " now() - (g %% 3650) * interval '1 day',"
        " CASE WHEN g < %(active)s THEN NULL ELSE now() - (g %% 30) * interval '1 day' END,"
        " now() - (g %% 24) * interval '1 hour', now() - (g %% 48) * interval '1 hour',"
        " (g * 37) %% 120, CASE WHEN g %% 11 = 0 THEN 'rack ' || g ELSE '' END,"
        f" {account}, k.id"
        " FROM generate_series(0, %(servers)s - 1) g"
        " JOIN bench_keys k ON k.n = g %% %(keys)s",
        {"active": size.active, "servers": size.servers, "keys": size.keys},
    )
    run(
        "CREATE TEMP TABLE bench_reporting AS SELECT id FROM proxies_proxyserver"
        f" WHERE account_id = {account} AND status = 'active' ORDER BY id LIMIT %(n)s",
        {"n": size.usage_servers},
    )
    run(
        "INSERT INTO proxies_usagereport (date, registered_computers, peak, licenses,"
        " received_at, proxy_server_id)"
        " SELECT current_date - d, (s.id * 7 + d) %% 90, (s.id * 7 + d) %% 90 + 5, 80,"
        " now() - d * interval '1 day', s.id"
        " FROM bench_reporting s, generate_series(0, %(days)s - 1) d",
        {"days": size.usage_days},
    )
    run(
        "INSERT INTO accounts_auditlog (actor_label, channel, action, target_type, target_id,"
        " target_label, data, created_at, account_id, actor_id)"
        " SELECT 'installation pmm-' || (g %% 1000), 'proxy',"
        " (ARRAY['proxy_server.usage_reported', 'proxy_server.refreshed',"
        "  'proxy_server.activated', 'proxy_server.deactivated'])[1 + g %% 4],"
        " 'proxy_server', (g %% 10000)::text, 'pmm-' || (g %% 10000) || '.example.com',"
        " jsonb_build_object('registered_computers', g %% 90),"
        " now() - g * interval '5 minutes', " + account + ", NULL"
        " FROM generate_series(0, %(audit)s - 1) g",
        {"audit": size.audit},
    )
    run("DROP TABLE bench_keys, bench_reporting")
    print(f"  {name}: {size} in {time.perf_counter() - step:.0f} s", flush=True)


def prepare(scale: float, reuse: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'") == "1"
    if reuse and exists:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM proxies_proxyserver")
            (servers,) = cursor.fetchone()
        if servers == sizes(scale)["big"].servers + sizes(scale)["small"].servers:
            print(f"database {DB_NAME}: reused; migrate ...", flush=True)
            call_command("migrate", "--noinput", verbosity=0)
            return
        connection.close()
    print(f"database {DB_NAME}: drop, create, migrate, generate (scale {scale}) ...", flush=True)
    psql(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    psql(f'CREATE DATABASE "{DB_NAME}"')
    call_command("migrate", "--noinput", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO subscriptions_product (code, name, support_url, support_phone)"
            " VALUES ('pmm', 'Parallels Mac Management', '', '') ON CONFLICT DO NOTHING"
        )
        for label, size in sizes(scale).items():
            generate(cursor, label, size)
        cursor.execute("ANALYZE")


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Measure:
    ms: float
    queries: int
    status: int


def measure(client, url: str, runs: int) -> Measure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up: templates, caches, the database's buffers
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
    return Measure(statistics.median(times), len(queries.captured_queries), response.status_code)


def export_peak_mb(client, url: str) -> tuple[float, int]:
    tracemalloc.start()
    response = client.get(url)
    size = sum(len(chunk) for chunk in response.streaming_content)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024 / 1024, size


def pages(ids: dict[str, int]) -> list[tuple[str, str]]:
    from proxies.selectors import COLUMNS

    listing = "/proxy-servers/"
    return [
        ("Dashboard", "/"),
        ("Subscription + License Keys", f"/subscriptions/{ids['subscription']}/"),
        ("Proxy Servers, first page", listing),
        ("Proxy Servers, Expiring soon", f"{listing}?display=expiring"),
        ("Proxy Servers, Deactivated", f"{listing}?display=deactivated"),
        *[(f"Proxy Servers by {c.label}", f"{listing}?sort={c.key}") for c in COLUMNS],
        ("Proxy Servers by Server Name, desc.", f"{listing}?sort=-server_name"),
        ("Proxy Servers, page 100", f"{listing}?page=100"),
        ("Proxy Servers, searched", f"{listing}?q=00042"),
        ("Proxy Usage tab", f"/proxy-servers/{ids['reporting_server']}/?tab=usage"),
        ("Users", "/account/business/users/"),
        ("Audit Log", "/account/business/audit-log/"),
        ("Audit Log, half-way back", f"/account/business/audit-log/?before={ids['audit_middle']}"),
    ]


def account_ids(label: str) -> dict[str, int]:
    from accounts.models import Account, AuditLog, Membership
    from accounts.selectors import audit_cursor
    from proxies.models import ProxyServer
    from subscriptions.models import Subscription

    account = Account.objects.get(name=f"{label.title()} Corp")
    entries = AuditLog.objects.filter(account=account).order_by("-created_at", "-id")
    middle = entries[entries.count() // 2]
    return {
        "audit_middle": audit_cursor(middle),
        "admin": Membership.objects.get(
            account=account, user__email=f"{label}-0@bench.example"
        ).user_id,
        "subscription": Subscription.objects.get(account=account).id,
        "reporting_server": ProxyServer.objects.filter(account=account, status="active")
        .order_by("id")
        .values_list("id", flat=True)
        .first(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="of the big account's rows")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per page (median)")
    parser.add_argument("--reuse", action="store_true", help="keep the previous run's data")
    args = parser.parse_args()

    configure_django()
    from django.test import Client, override_settings

    prepare(args.scale, args.reuse)
    clients, ids = {}, {}
    for label in ("small", "big"):
        ids[label] = account_ids(label)
        from accounts.models import User

        clients[label] = Client()
        clients[label].force_login(User.objects.get(pk=ids[label]["admin"]))

    # Hashed static names need collectstatic's manifest; the pages' own work is the same.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    rows = []
    with override_settings(
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
        | {"staticfiles": static}
    ):
        for (name, small_url), (_, big_url) in zip(
            pages(ids["small"]), pages(ids["big"]), strict=True
        ):
            small = measure(clients["small"], small_url, args.runs)
            big = measure(clients["big"], big_url, args.runs)
            rows.append((name, small, big))
            print(f"  {name}: {small.ms:.0f} ms -> {big.ms:.0f} ms", flush=True)
        export = "/proxy-servers/export/"
        export_small = measure(clients["small"], export, args.runs)
        export_big = measure(clients["big"], export, args.runs)
        export_mb, export_bytes = export_peak_mb(clients["big"], export)

    big = sizes(args.scale)["big"]
    print()
    print(
        f"Big Corp: {big.keys:,} keys, {big.servers:,} servers, "
        f"{big.usage_servers * big.usage_days:,} usage rows, {big.members:,} members, "
        f"{big.audit:,} audit entries; Small Corp: ten of each. Median of {args.runs} runs, "
        "server time in-process (DEBUG off, Postgres)."
    )
    print()
    print("| page | 10 rows ms | queries | at size ms | queries | ratio | goals |")
    print("|---|---|---|---|---|---|---|")
    failures = 0
    for name, small, big_measure in rows:
        ratio = big_measure.ms / small.ms if small.ms else float("nan")
        missed = []
        if ratio > GOAL_RATIO:
            missed.append(f"> {GOAL_RATIO:g}x")
        if big_measure.ms > GOAL_MS:
            missed.append(f"> {GOAL_MS:g} ms")
        # A page whose rows hold no key skips the over-the-limit query: fewer is fine.
        if big_measure.queries > small.queries:
            missed.append("more queries")
        if 200 not in (small.status, big_measure.status) or small.status != big_measure.status:
            missed.append(f"HTTP {small.status}/{big_measure.status}")
        failures += bool(missed)
        print(
            f"| {name} | {small.ms:.0f} | {small.queries} | {big_measure.ms:.0f} | "
            f"{big_measure.queries} | {ratio:.1f} | {', '.join(missed) or 'met'} |"
        )
    export_ok = export_mb <= GOAL_EXPORT_MB and export_big.queries <= export_small.queries
    failures += not export_ok
    print(
        f"| CSV export, all servers (streamed) | {export_small.ms:.0f} | {export_small.queries} "
        f"| {export_big.ms:.0f} | {export_big.queries} | "
        f"{export_big.ms / export_small.ms:.0f} | peak {export_mb:.1f} MB: "
        f"{'met' if export_ok else 'missed'} (goal <= {GOAL_EXPORT_MB:g} MB) |"
    )
    print(f"\nThe export sent {export_bytes / 1024 / 1024:.1f} MB ({big.servers:,} servers).")
    print(f"{len(rows) + 1 - failures} of {len(rows) + 1} goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
