"""The portal's processes, run as docker-compose runs them, for the production tier.

Each piece is a process (or a loopback server) this test run starts and stops itself:

- ``Portal``: gunicorn serving ``myaccount.wsgi`` with ``DEBUG=0``, a real secret key,
  ``ALLOWED_HOSTS``, static files collected for whitenoise and TLS on loopback (as a
  reverse proxy would terminate it), so secure cookies, HSTS and the HTTPS CSRF checks
  are the production ones;
- ``Worker``: a Celery worker on Redis, on a queue of this run's own, and
  ``WebhookWorker``: the webhook deliveries' pool, on a webhooks queue of its own;
- ``Smtp``: an SMTP server (aiosmtpd) that keeps what the portal sends;
- ``RedisServer``: a redis-server of the test's own, to stop and start (a broker outage)
  without touching the machine's shared Redis;
- ``KeyRing``: portal signing keys with ids of their own, generated into a tmp dir;
- ``Browser``: a ``requests`` session that signs in and submits forms as a person does.

Every wait has a generous limit and fails with the log tail of the process concerned.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urljoin

import pytest
import redis
import requests
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from licensing.client import envelope
from tests.waiting import wait_until

BASE_DIR = Path(settings.BASE_DIR)
# A cold start on a busy 2-core machine shared by several test runs takes a while.
WAIT_SECONDS = 120
LOG_TAIL_LINES = 80
HOST = "127.0.0.1"

T = TypeVar("T")


def free_port() -> int:
    """A loopback port nothing listens on now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def closed_port_url(db: int = 0) -> str:
    """A Redis URL where nothing listens: a cache or broker that is down."""
    return f"redis://{HOST}:{free_port()}/{db}"


def shared_database_url() -> str:
    """The test database (pytest-django's) as a URL another process can connect to."""
    db = settings.DATABASES["default"]
    assert db["ENGINE"].endswith("postgresql"), "the processes need a database they can share"
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or HOST
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def wait_for(
    condition: Callable[[], T | None],
    *,
    what: str,
    logs: Callable[[], str] = lambda: "",
    timeout: float = WAIT_SECONDS,
) -> T:
    """Poll ``condition`` until it returns something truthy; fail saying what was awaited."""
    return wait_until(condition, what=what, timeout=timeout, details=logs)


# --- processes ----------------------------------------------------------------------------


@dataclass
class Process:
    """A child process whose output goes to a log file; started and stopped by the test."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        assert self.popen is None, f"{self.name} is already running"
        with self.log_path.open("ab") as log:
            log.write(f"\n=== {self.name}: {' '.join(self.command)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        if self.popen is None:
            return
        popen, self.popen = self.popen, None
        if popen.poll() is None:
            popen.terminate()
            try:
                popen.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck process
                popen.kill()
                popen.wait(timeout=10)

    def log(self) -> str:
        return (
            f"--- last lines of the {self.name} log ({self.log_path}):\n{log_tail(self.log_path)}"
        )

    def check_alive(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            pytest.fail(
                f"The {self.name} exited with status {self.popen.returncode}.\n{self.log()}",
                pytrace=False,
            )


# --- TLS ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tls:
    """A self-signed certificate for 127.0.0.1; clients trust it through ``cert``."""

    cert: Path
    key: Path

    @classmethod
    def create(cls, directory: Path) -> Tls:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "myaccount production tier")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        cert_path, key_path = directory / "tls.crt", directory / "tls.key"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        return cls(cert=cert_path, key=key_path)


# --- signing keys -------------------------------------------------------------------------


@dataclass
class KeyRing:
    """The portal's signing keys as an operator keeps them: PEM files, ids of their own."""

    directory: Path
    kids: list[str] = field(default_factory=list)

    def create(self, kid: str) -> str:
        """Generate the key ``kid`` and list it last (it signs from the next start on)."""
        path = self.directory / f"{kid}.pem"
        path.write_text(envelope.private_key_pem(envelope.generate_private_key()))
        path.chmod(0o600)
        self.kids.append(kid)
        return kid

    def retire(self, kid: str) -> None:
        self.kids.remove(kid)

    @property
    def setting(self) -> str:
        """LICENSING_SIGNING_KEYS for the keys listed now."""
        return ",".join(f"{kid}={self.directory / f'{kid}.pem'}" for kid in self.kids)


# --- SMTP ---------------------------------------------------------------------------------


class _Keeper:
    def __init__(self, smtp: Smtp) -> None:
        self.smtp = smtp

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.smtp.lock:
            self.smtp.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class Smtp:
    """An SMTP server on loopback that keeps every message (aiosmtpd, no TLS, no auth)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], Message]] = []
        self.controller = Controller(_Keeper(self), hostname=HOST, port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [message for rcpt, message in self.messages if address in rcpt]

    def wait_for(
        self, address: str, *, logs: Callable[[], str] = lambda: "", count: int = 1
    ) -> list[Message]:
        return wait_for(
            lambda: (found := self.to(address)) and len(found) >= count and found,
            what=f"e-mail to {address} on the SMTP server",
            logs=logs,
        )


def text_of(message: Message) -> str:
    """The text/plain part of a message, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/plain part in {message['Subject']!r}")


# --- Redis of the test's own --------------------------------------------------------------


class RedisServer:
    """A redis-server on a free loopback port, without persistence: stop() and start()
    again on the same port make a broker (or cache) outage and its end."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.process = Process(
            "redis-server",
            [
                "redis-server",
                "--bind",
                HOST,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],  # fmt: skip
            env={"PATH": os.environ.get("PATH", "")},
            log_path=directory / "redis.log",
        )

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def start(self) -> None:
        self.process.start()
        wait_for(self._ping, what=f"redis-server on port {self.port}", logs=self.process.log)

    def stop(self) -> None:
        self.process.stop()

    def _ping(self) -> bool:
        self.process.check_alive()
        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(self.url(), socket_connect_timeout=1)
            try:
                return bool(client.ping())
            finally:
                client.close()
        return False


# --- the portal's processes ---------------------------------------------------------------


@dataclass
class Config:
    """The environment docker-compose gives web, worker and beat: one for all of them.

    Tests change it and restart what needs the change (``portal.restart(REDIS_URL=...)``).
    """

    port: int
    database_url: str
    redis_url: str
    smtp_port: int
    static_root: Path
    media_root: Path
    keys: KeyRing
    tls: Tls
    # None: the broker is the Redis of REDIS_URL, as in docker-compose.
    broker_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    # Everything this run enqueues goes to, and is consumed from, a queue of its own;
    # its cache keys carry a prefix of their own: the shared Redis DB stays shared.
    queue: str = field(default_factory=lambda: f"production-tier-{uuid.uuid4().hex[:12]}")
    # Settings every process of the stack starts with (a test's ``stack_environment``
    # marker), as an operator's environment file would give them.
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}"

    @property
    def webhooks_queue(self) -> str:
        """This run's WEBHOOKS_QUEUE: webhook deliveries, for ``WebhookWorker`` only."""
        return f"{self.queue}-webhooks"

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "myaccount.settings",
            "DEBUG": "0",
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": self.url,
            "DATABASE_URL": self.database_url,
            "DB_CONN_MAX_AGE": "0",
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.broker_url or self.redis_url,
            "CACHE_KEY_PREFIX": self.queue,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "WEBHOOKS_QUEUE": self.webhooks_queue,
            "LICENSING_SIGNING_KEYS": self.keys.setting,
            "EMAIL_HOST": HOST,
            "EMAIL_PORT": str(self.smtp_port),
            "EMAIL_USE_TLS": "0",
            "DEFAULT_FROM_EMAIL": "MyAccount <noreply@myaccount.test>",
            "STATIC_ROOT": str(self.static_root),
            "MEDIA_ROOT": str(self.media_root),
            # pmm-proxy (urllib) and anything else in these processes trust the portal's
            # certificate as they would a public one.
            "SSL_CERT_FILE": str(self.tls.cert),
        }
        env.update(self.environment)
        env.update(overrides)
        return env


class Portal:
    """gunicorn as the ``web`` service runs it (with TLS on loopback)."""

    def __init__(self, config: Config, log_dir: Path) -> None:
        self.config = config
        self.log_path = log_dir / "gunicorn.log"
        self.process: Process | None = None
        self.overrides: dict[str, str] = {}

    @property
    def url(self) -> str:
        return self.config.url

    def start(self, **overrides: str) -> None:
        """Start with the configuration plus ``overrides``; wait until /healthz answers."""
        self.overrides = overrides
        # --preload as gunicorn.conf.py has it (preload_app): the app is imported once,
        # in the arbiter, and its workers are forked from it.
        command = [
            sys.executable, "-m", "gunicorn", "myaccount.wsgi", "--preload",
            "--bind", f"{HOST}:{self.config.port}", "--workers", "2",
            "--certfile", str(self.config.tls.cert), "--keyfile", str(self.config.tls.key),
            "--timeout", "120", "--graceful-timeout", "5", "--access-logfile", "-",
        ]  # fmt: skip
        # A HOME of its own: gunicorn puts its control socket there, and other servers
        # on this machine have theirs.
        home = self.log_path.parent / "gunicorn-home"
        home.mkdir(exist_ok=True)
        env = self.config.env(HOME=str(home), **overrides)
        self.process = Process("gunicorn", command, env, self.log_path)
        self.process.start()
        wait_for(self._answers, what=f"answer from gunicorn at {self.url}", logs=self.log)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def restart(self, **overrides: str) -> None:
        """Stop and start again, e.g. with a new key listed or another REDIS_URL."""
        self.stop()
        self.start(**overrides)

    def log(self) -> str:
        return self.process.log() if self.process else "(gunicorn never started)"

    def _answers(self) -> bool:
        assert self.process is not None
        self.process.check_alive()
        try:
            # Any answer will do (/healthz is 503 while a dependency is down on purpose).
            requests.get(f"{self.url}/healthz", verify=str(self.config.tls.cert), timeout=5)
        except requests.RequestException:
            return False
        return True

    def healthz(self) -> tuple[int, dict[str, Any]]:
        response = requests.get(f"{self.url}/healthz", verify=str(self.config.tls.cert), timeout=30)
        return response.status_code, response.json()


class Worker:
    """``celery -A myaccount worker`` as the ``worker`` service runs it, on this run's queue."""

    name = "celery worker"
    log_name = "celery-worker.log"

    def __init__(self, config: Config, log_dir: Path) -> None:
        self.config = config
        self.log_path = log_dir / self.log_name
        self.process: Process | None = None

    @property
    def queue(self) -> str:
        return self.config.queue

    def pool(self) -> list[str]:
        return ["--pool=solo", "--concurrency=1"]

    def start(self, **overrides: str) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "myaccount", "worker",
            *self.pool(), "-Q", self.queue,
            "-n", f"{self.queue}@%h", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.process = Process(self.name, command, self.config.env(**overrides), self.log_path)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.process.start()
        wait_for(
            lambda: self._ready(offset), what="ready Celery worker", logs=self.log, timeout=180
        )

    def _ready(self, offset: int) -> bool:
        assert self.process is not None
        self.process.check_alive()
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return b" ready." in log.read()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def results(self, task: str) -> list[str]:
        """What each run of ``task`` that succeeded returned, oldest first, as the
        worker logs it (``Task <name>[<id>] succeeded in <t>s: <result>``)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        pattern = rf"Task {re.escape(task)}\[[^\]]+\] succeeded in [0-9.e-]+s: (.*)"
        return [result.strip() for result in re.findall(pattern, text)]

    def log(self) -> str:
        return self.process.log() if self.process else "(the worker never started)"

    def forget_queue(self) -> None:
        """Leave nothing of this run's queue behind on the shared Redis."""
        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(self.config.env()["CELERY_BROKER_URL"])
            queue = self.queue
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
            client.close()


class WebhookWorker(Worker):
    """The ``worker-webhooks`` service: webhook deliveries only (WEBHOOKS_QUEUE), in
    threads of their own, so a slow receiver never holds the worker that sends e-mail."""

    name = "celery webhook worker"
    log_name = "celery-webhooks.log"

    @property
    def queue(self) -> str:
        return self.config.webhooks_queue

    def pool(self) -> list[str]:
        return ["--pool=threads", "--concurrency=4"]


def manage(config: Config, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    """``python manage.py ...`` with the services' environment (as ``docker compose run``)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=config.env(**overrides),
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    return result


# --- pmm-proxy ----------------------------------------------------------------------------


@dataclass
class ProxyInstallation:
    """``pmm-proxy`` (the console script) with a state directory, on the proxy's host."""

    state: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        script = Path(sys.executable).with_name("pmm-proxy")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "licensing.client"]
        return subprocess.run(
            [*command, "--state", str(self.state), *args],
            cwd=self.state.parent,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, f"pmm-proxy {' '.join(args)}: {result.stderr}"
        return result.stdout

    def status(self) -> dict[str, Any]:
        return json.loads(self.ok("status", "--json"))


# --- a person with a browser --------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms (action, method, fields) and links of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "input" and self.forms and a.get("name"):
            if a.get("type") in ("checkbox", "radio", "submit") and "checked" not in a:
                return
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "textarea" and self.forms and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1]["fields"][a["name"]] = ""
        elif tag == "select" and self.forms and a.get("name"):
            # As a browser sends it: the selected option, else the first.
            self._select = a["name"]
            self._select_chosen = False
            self.forms[-1]["fields"][a["name"]] = None
        elif tag == "option" and self.forms and self._select:
            fields = self.forms[-1]["fields"]
            if "selected" in a or (fields[self._select] is None and not self._select_chosen):
                fields[self._select] = a.get("value", "")
                self._select_chosen = "selected" in a

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            if self._select and self.forms and self.forms[-1]["fields"][self._select] is None:
                self.forms[-1]["fields"][self._select] = ""
            self._select = None


class Browser:
    """A person's browser: cookies, CSRF tokens and Referer as a real one sends them."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.session = requests.Session()
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session's verify.
        self.verify = str(portal.config.tls.cert)
        self.page: requests.Response | None = None

    def url(self, path: str) -> str:
        return urljoin(self.portal.url + "/", path)

    def _check(self, response: requests.Response, expect: int) -> requests.Response:
        if response.status_code != expect:
            pytest.fail(
                f"{response.request.method} {response.url} answered {response.status_code}, "
                f"not {expect}:\n{response.text[:2000]}\n{self.portal.log()}",
                pytrace=False,
            )
        return response

    def get(self, path: str, *, expect: int = 200) -> requests.Response:
        self.page = self._check(
            self.session.get(self.url(path), verify=self.verify, timeout=WAIT_SECONDS), expect
        )
        return self.page

    def forms(self) -> list[dict[str, Any]]:
        assert self.page is not None
        parser = _Forms()
        parser.feed(self.page.text)
        return parser.forms

    def links(self, pattern: str) -> list[str]:
        assert self.page is not None
        parser = _Forms()
        parser.feed(self.page.text)
        return [link for link in parser.links if re.search(pattern, link)]

    def submit(
        self,
        *,
        having: str,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        expect: int = 200,
    ) -> requests.Response:
        """Fill in the form of the current page that has a field named ``having``, submit
        it (following redirects) and return the page that answers."""
        assert self.page is not None
        candidates = [f for f in self.forms() if having in f["fields"]]
        assert candidates, f"no form with a field {having!r} on {self.page.url}"
        form = candidates[0]
        fields = {**form["fields"], **(data or {})}
        for name in files or {}:
            fields.pop(name, None)
        target = urljoin(self.page.url, form["action"] or self.page.url)
        # Django's CSRF check over HTTPS wants the Referer of the page the form was on.
        response = self.session.post(
            target,
            data=fields,
            files=files,
            headers={"Referer": self.page.url},
            verify=self.verify,
            timeout=WAIT_SECONDS,
        )
        self.page = self._check(response, expect)
        return self.page

    def sign_in(self, email: str, password: str) -> None:
        self.get("/accounts/login/")
        self.submit(having="login", data={"login": email, "password": password})
        if "/accounts/login/" in self.page.url:
            pytest.fail(f"{email} could not sign in: {self.errors()}\n{self.portal.log()}")

    def errors(self) -> list[str]:
        """The error messages the current page shows (form errors, alerts)."""
        assert self.page is not None
        found = re.findall(
            r'<[^>]+(?:role="alert"|class="[^"]*error[^"]*")[^>]*>(.*?)</', self.page.text, re.S
        )
        return [" ".join(text.split()) for text in found if text.strip()]

    def download(self, path: str) -> str:
        response = self._check(
            self.session.get(self.url(path), verify=self.verify, timeout=WAIT_SECONDS), 200
        )
        return response.text
