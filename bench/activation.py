"""Benchmark: the licensing API beside the minimal-activation anchor, in one run.

Starts two servers the production way, each under gunicorn with the same number of
sync workers on the same Postgres:

- the portal (DEBUG=0, Postgres, Redis, the project's ``gunicorn.conf.py``) on a
  database of its own (``myaccount_bench``, dropped and migrated first), and
- the minimal-activation anchor of ``../shared/bench/activation-anchor/`` (``app.py``,
  run from that directory, never copied here: a DRF view that verifies an Ed25519
  signature, inserts the nonce, locks and updates a key row and signs the answer; its
  ``GET /ping`` is a bare DRF view),

then drives every phase with ``wrk`` (installed by ``scripts/ensure-wrk.sh``) for the
same time and connections, with request bodies signed before the clock starts, and
prints a table of the phases and the ratios against their goals. Beside each phase it
prints the CPU its server (gunicorn's master and workers) and Postgres (every backend,
those that ended included) spent per answered request, read from /proc: on a machine
whose cores are all busy, that CPU is what a ratio follows.

    .venv/bin/python bench/activation.py [--workers 5] [--conns 16] [--secs 10]
        [--anchor DIR] [--keys 8000]

Needs Postgres at 127.0.0.1:5432 (user postgres) and Redis at 127.0.0.1:6379.
``BENCH_DATABASE`` (default ``myaccount_bench``) and ``BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/5``) pick the portal's database and Redis. Other variables of
the environment (``DB_CONN_MAX_AGE``, ...) pass through to the portal, so one lever can
be measured with and without.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from licensing.client import envelope  # noqa: E402  (pure Python, no Django)

DB_NAME = os.environ.get("BENCH_DATABASE", "myaccount_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
PG = "postgres://postgres@127.0.0.1:5432"
# ../shared/bench/activation-anchor/ beside the checkout (or beside its worktree folder).
ANCHOR_DIR = next(
    (
        path
        for path in (base / "shared" / "bench" / "activation-anchor" for base in REPO.parents)
        if (path / "app.py").exists()
    ),
    REPO.parent / "shared" / "bench" / "activation-anchor",
)
ANCHOR_DB = "anchor"  # named by the anchor's app.py
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "myaccount-bench"
GUNICORN = Path(sys.executable).parent / "gunicorn"
PORTAL_CONFIG = REPO / "gunicorn.conf.py"

# wrk scripts: POST one pre-signed body after another; report p50/p99 in ms.
LATENCY_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("LAT p50=%.3f p99=%.3f\\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""
POST_LUA = """
local bodies = {}
local i = 0
init = function(args)
  for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
end
request = function()
  i = i + 1
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json"},
    bodies[((i - 1) %% #bodies) + 1])
end
local refused = 0
response = function(status, headers, body)
  if status >= 300 then
    refused = refused + 1
    if refused <= 3 then io.stderr:write("HTTP " .. status .. " " .. body .. "\\n") end
  end
end
"""


@dataclass
class Phase:
    name: str
    rps: float
    p50: float
    p99: float
    requests: int
    non2xx: int
    socket_errors: str
    server_cpu: float = 0.0  # CPU seconds of the phase: the server's processes
    postgres_cpu: float = 0.0  # and Postgres's

    def line(self) -> str:
        per_request = 1000 / max(self.requests, 1)
        return (
            f"{self.name:<34}{self.rps:>9.0f}{self.p50:>9.1f}{self.p99:>9.1f}"
            f"{self.requests:>8}{self.non2xx:>8}"
            f"{self.server_cpu * per_request:>9.2f}{self.postgres_cpu * per_request:>9.2f}"
            f" {self.socket_errors}"
        )


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stats() -> list[tuple[int, str, float, float]]:
    """(process group, name, own CPU seconds, CPU seconds of its waited-for children) of
    every process of the machine."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue  # it ended meanwhile
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # After the name: state, ppid, pgrp, ... utime (12th), stime, cutime, cstime.
        own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        children = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
        found.append((int(fields[2]), name, own, children))
    return found


def cpu_now(server: subprocess.Popen) -> tuple[float, float]:
    """CPU seconds so far of `server`'s process group (started in a session of its own),
    and of Postgres: every postgres process, and the backends its postmaster has reaped
    (its children's time). Only one server is driven at a time, so the difference over a
    phase is that phase's."""
    server_cpu = postgres_cpu = 0.0
    for group, name, own, children in _stats():
        if group == server.pid:
            server_cpu += own
        elif name == "postgres":
            postgres_cpu += own + children
    return server_cpu, postgres_cpu


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAq", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def portal_env(key_file: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LICENSING_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="myaccount.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=f"bench-{port}",
        CELERY_TASK_ALWAYS_EAGER="1",
        LICENSING_SIGNING_KEYS=f"bench-1={key_file}",
        # The benchmark measures the service, not the throttle's refusals (the
        # throttles still count every request).
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


def signed_bodies(keys: list[str], reports_each: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Activation bodies (one per key and new installation) and usage-report bodies with
    their installation (key order, `reports_each` per installation, distinct nonces)."""
    now = datetime.now(UTC)
    activations, reports = [], []
    for key in keys:
        private_key = envelope.generate_private_key()
        installation_id = str(uuid.uuid4())
        activation = envelope.seal(
            message_type="activation_request",
            payload={
                "installation_id": installation_id,
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
        activations.append(json.dumps({"message": activation}))
        for day in range(reports_each):
            report = envelope.seal(
                message_type="usage_report",
                payload={
                    "installation_id": installation_id,
                    "registered_computers": 40 + day,
                    "peak": 50,
                    "date": now.date().isoformat(),
                },
                private_key=private_key,
                now=now,
                ttl=timedelta(minutes=30),
            )
            reports.append((installation_id, json.dumps({"message": report})))
    return activations, reports


def anchor_bodies(anchor: Path) -> Path:
    """The anchor's own 400,000 pre-signed bodies (its make_bodies.py), made once."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    bodies = CACHE_DIR / "anchor-bodies.txt"
    source = anchor / "make_bodies.py"
    if not bodies.exists() or bodies.stat().st_mtime < source.stat().st_mtime:
        print(f"anchor: signing its request bodies into {bodies} (once) ...", flush=True)
        partial = bodies.with_suffix(".partial")
        subprocess.run([sys.executable, str(source), str(partial)], check=True)
        partial.replace(bodies)
    return bodies


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server of {url} exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def post(url: str, body: str) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wrk(url: str, script: Path, conns: int, secs: int, name: str) -> Phase:
    out = subprocess.run(
        # A generous timeout: a request wrk gives up on still runs on the server.
        ["wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--timeout", "30s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    if out.stderr.strip():
        print(f"    {name}: {out.stderr.strip()[:600]}", flush=True)
    out = out.stdout

    def number(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, out)
        return match.group(1) if match else default

    latency = re.search(r"LAT p50=([\d.]+) p99=([\d.]+)", out)
    return Phase(
        name=name,
        rps=float(number(r"Requests/sec:\s+([\d.]+)")),
        p50=float(latency.group(1)) if latency else float("nan"),
        p99=float(latency.group(2)) if latency else float("nan"),
        requests=int(number(r"(\d+) requests in")),
        non2xx=int(number(r"Non-2xx or 3xx responses: (\d+)")),
        socket_errors=number(r"Socket errors: (.*)", ""),
    )


def gunicorn(
    app: str, cwd: Path, port: int, workers: int, env: dict[str, str], config: Path | None
) -> subprocess.Popen:
    command = [str(GUNICORN), app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    # The portal runs with the configuration production uses; the anchor with gunicorn's
    # defaults (sync workers either way). No access log on either side.
    if config is not None and config.exists():
        command += ["--config", str(config)]
    else:
        command += ["--log-level", "warning"]
    return subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def ratio_row(measure: str, anchor: str, portal: str, ratio: float, goal: str) -> str:
    return f"| {measure} | {anchor} | {portal} | {ratio:.2f} | {goal} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers, each")
    parser.add_argument("--conns", type=int, default=16, help="wrk connections")
    parser.add_argument("--secs", type=int, default=10, help="seconds per phase")
    parser.add_argument(
        "--keys", type=int, help="license keys to activate (default: 1,000 per second)"
    )
    parser.add_argument("--anchor", type=Path, default=ANCHOR_DIR)
    args = parser.parse_args()
    args.keys = args.keys or 1000 * args.secs
    anchor_dir = args.anchor.resolve()
    if not (anchor_dir / "app.py").exists():
        raise SystemExit(f"no anchor in {anchor_dir} (see --anchor)")
    subprocess.run([str(REPO / "scripts" / "ensure-wrk.sh")], check=True)

    work = Path(tempfile.mkdtemp(prefix="bench-activation-"))
    portal_key = envelope.generate_private_key()
    key_file = work / "portal.pem"
    key_file.write_text(envelope.private_key_pem(portal_key))
    key_file.chmod(0o600)
    portal_port, anchor_port = free_port(), free_port()
    portal, anchor = f"http://127.0.0.1:{portal_port}", f"http://127.0.0.1:{anchor_port}"
    env = portal_env(key_file, portal_port)

    print(f"portal database {DB_NAME}: drop, create, migrate, seed {args.keys} keys ...")
    psql(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    psql(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
    )
    keys = seed(env, args.keys + 1)
    print("signing the portal's request bodies ...", flush=True)
    activations, reports = signed_bodies(keys, reports_each=3)
    # The last key is the pre-flight's: it never appears in the timed phases.
    preflight_activation, preflight_report = activations.pop(), reports[-1][1]
    del reports[-3:]
    (work / "activations.txt").write_text("\n".join(activations) + "\n")

    print(f"anchor database {ANCHOR_DB}: drop, create, {anchor_dir / 'setup.sql'} ...")
    psql(f"DROP DATABASE IF EXISTS {ANCHOR_DB}")
    psql(f"CREATE DATABASE {ANCHOR_DB}")
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", ANCHOR_DB, "-q"]
        + ["-f", str(anchor_dir / "setup.sql")],
        check=True,
        capture_output=True,
    )
    anchor_file = anchor_bodies(anchor_dir)

    def script(name: str, path: str | None = None, bodies: Path | None = None) -> Path:
        text = LATENCY_LUA if path is None else POST_LUA % {"path": path, "bodies": bodies}
        if path is not None:
            text += LATENCY_LUA
        target = work / name
        target.write_text(text)
        return target

    get_lua = script("get.lua")
    anchor_lua = script("anchor.lua", "/activate", anchor_file)
    activate_lua = script("activate.lua", "/api/licensing/activate/", work / "activations.txt")
    usage_lua = script("usage.lua", "/api/licensing/usage/", work / "reports.txt")

    anchor_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    print(f"gunicorn: {args.workers} sync workers each; portal {portal}, anchor {anchor}")
    servers = [
        gunicorn("myaccount.wsgi", REPO, portal_port, args.workers, env, PORTAL_CONFIG),
        gunicorn("app:application", anchor_dir, anchor_port, args.workers, anchor_env, None),
    ]
    phases: dict[str, Phase] = {}
    try:
        wait_ready(f"{portal}/api/licensing/public-keys/", servers[0])
        wait_ready(f"{anchor}/ping", servers[1])

        # Pre-flight: one activation and one report answer 200, signed by the portal key.
        for path, body in (("activate", preflight_activation), ("usage", preflight_report)):
            status, answer = post(f"{portal}/api/licensing/{path}/", body)
            if status != 200:
                raise SystemExit(f"pre-flight {path}: HTTP {status} {answer[:300]!r}")
            envelope.open_envelope(
                json.loads(answer)["message"],
                expected_types=["activation_response", "usage_response"],
                public_keys={"bench-1": portal_key.public_key()},
            )

        # Warm every worker of both servers (imports, connections) before measuring.
        wrk(f"{anchor}/ping", get_lua, args.conns, 2, "warm-up")
        wrk(f"{portal}/api/licensing/public-keys/", get_lua, args.conns, 2, "warm-up")

        def run(name: str, url: str, lua: Path, server: subprocess.Popen) -> None:
            print(f"  {name} ...", flush=True)
            before = cpu_now(server)
            phases[name] = wrk(url, lua, args.conns, args.secs, name)
            after = cpu_now(server)
            phases[name].server_cpu = after[0] - before[0]
            phases[name].postgres_cpu = after[1] - before[1]

        portal_server, anchor_server = servers
        run("anchor GET /ping (bare DRF)", f"{anchor}/ping", get_lua, anchor_server)
        run(
            "portal GET public-keys", f"{portal}/api/licensing/public-keys/", get_lua, portal_server
        )
        psql("TRUNCATE nonce", database=ANCHOR_DB)
        run("anchor activation", f"{anchor}/activate", anchor_lua, anchor_server)
        run("portal activation", f"{portal}/api/licensing/activate/", activate_lua, portal_server)
        # Reports only of the installations the timed activations activated: wrk may drop
        # a request it had prepared when a phase ends or a connection closes.
        active = set(
            psql(
                "SELECT installation_id FROM proxies_proxyserver WHERE status = 'active'",
                database=DB_NAME,
            ).split()
        )
        (work / "reports.txt").write_text(
            "".join(body + "\n" for installation, body in reports if installation in active)
        )
        run("portal usage report", f"{portal}/api/licensing/usage/", usage_lua, portal_server)
        psql("TRUNCATE nonce", database=ANCHOR_DB)  # its bodies repeat; nonces must not
        run("anchor activation again", f"{anchor}/activate", anchor_lua, anchor_server)
    finally:
        for server in servers:
            stop(server)

    print()
    print(
        f"{args.workers} gunicorn sync workers each, wrk -t1 -c{args.conns} -d{args.secs}s, "
        f"{os.cpu_count()} CPUs, {len(activations)} keys, loopback"
    )
    print(
        f"{'phase':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'n':>8}{'non2xx':>8}"
        f"{'server':>9}{'Postgres':>9}"
    )
    for phase in phases.values():
        print(phase.line())
    print(f"{'':<67}{'CPU ms per request':>18}")

    ping = phases["anchor GET /ping (bare DRF)"]
    trivial = phases["portal GET public-keys"]
    anchor_rps = (phases["anchor activation"].rps + phases["anchor activation again"].rps) / 2
    anchor_act = phases["anchor activation"]
    activation, usage = phases["portal activation"], phases["portal usage report"]
    print()
    print("| measure | anchor | portal | ratio | goal |")
    print("|---|---|---|---|---|")
    print(
        ratio_row(
            "bare DRF `GET /ping` vs. portal `GET /api/licensing/public-keys/`",
            f"{ping.rps:,.0f} req/s",
            f"{trivial.rps:,.0f}",
            trivial.rps / ping.rps,
            "≥ 0.8",
        )
    )
    print(
        ratio_row(
            "activation",
            f"{anchor_rps:,.0f} req/s",
            f"{activation.rps:,.0f}",
            activation.rps / anchor_rps,
            "≥ 0.5",
        )
    )
    print(
        ratio_row(
            "usage report",
            "(anchor activation)",
            f"{usage.rps:,.0f}",
            usage.rps / anchor_rps,
            "≥ 0.5",
        )
    )
    print(
        f"| activation p99 ÷ p50 at {args.conns} connections "
        f"| {anchor_act.p99 / anchor_act.p50:.1f} | {activation.p99 / activation.p50:.1f} "
        "| | ≤ 2 |"
    )
    # Every portal request of the timed phases must have been a success: a refusal
    # (replayed, unknown installation) would measure the wrong thing.
    failed = activation.non2xx + usage.non2xx + trivial.non2xx
    if failed:
        print(f"\n{failed} portal requests did not answer 2xx: the figures are not valid.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
