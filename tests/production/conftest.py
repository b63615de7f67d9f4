"""The production-shaped tier: the portal run the way docker-compose runs it.

``portal`` is gunicorn with DEBUG=0, a real secret key, ALLOWED_HOSTS, whitenoise serving
the collected static files, TLS on loopback, and a signing key with an id of its own
(``keys``: portal-1, generated here, never the development key). ``worker`` is a real
Celery worker on Redis (``REDIS_URL``: the machine's Redis, on a queue and a cache-key
prefix of this run's own). ``smtp`` is a real SMTP server on loopback that EMAIL_HOST and
EMAIL_PORT point at. All share the test database of pytest-django (so every test here
is transactional), and every process is started and stopped by these fixtures: the
worker and gunicorn stop before the database is flushed.

Tests drive the public interfaces only: pages through ``Browser``, ``pmm-proxy`` through
``ProxyInstallation``, ``manage.py`` through ``stack.manage(config, ...)``.

Hooks for outages (stop a service by pointing at a port where nothing listens, or by
stopping a process the test started itself, never the machine's Redis or Postgres):

- the cache down: ``portal.restart(REDIS_URL=closed_port_url(), CELERY_BROKER_URL=
  config.redis_url)`` keeps the broker and takes the cache away (and ``worker`` likewise,
  ``worker.stop(); worker.start(...)``); ``portal.restart()`` brings the cache back;
- a setting for the whole stack from its start (rather than a restart):
  ``@pytest.mark.stack_environment(OUTBOX_SWEEP_AFTER="1")``;
- the broker down: ask for the ``own_broker`` fixture (a redis-server of the test's own)
  and ``portal`` and ``worker`` use it as CELERY_BROKER_URL; ``own_broker.stop()`` and
  ``own_broker.start()`` (same port) make the outage and its end; ``smtp.to(address)``
  counts what arrived.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import global_settings, settings

from accounts.models import Membership
from tests import factories
from tests.production import stack
from tests.production.stack import (
    Browser,
    Config,
    KeyRing,
    Portal,
    ProxyInstallation,
    RedisServer,
    Smtp,
    Tls,
    Worker,
)


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return Tls.create(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """``collectstatic`` as the image build runs it (whitenoise's compressed manifest), once
    per test run: the first pytest-xdist worker to need it collects, under a lock, into the
    run's temporary directory, and the others use what it collected."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the controller's, above every worker's own
    root = shared / "production-static"
    with (shared / "production-static.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "staticfiles.json").exists():
            _collectstatic(root)
    return root


def _collectstatic(root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear"],
        cwd=stack.BASE_DIR,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "myaccount.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "STATIC_ROOT": str(root),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"collectstatic failed:\n{result.stdout}\n{result.stderr}"
    assert (root / "staticfiles.json").exists()


@pytest.fixture
def keys(tmp_path: Path) -> KeyRing:
    """The portal's signing keys: portal-1 to start with (``keys.create("portal-2")`` and
    ``portal.restart()`` rotate)."""
    directory = tmp_path / "signing-keys"
    directory.mkdir(mode=0o700)
    ring = KeyRing(directory)
    ring.create("portal-1")
    return ring


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, used as the broker by ``portal`` and ``worker``."""
    directory = tmp_path / "own-redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def config(
    request: pytest.FixtureRequest,
    transactional_db: None,
    tmp_path: Path,
    tls: Tls,
    static_root: Path,
    keys: KeyRing,
    smtp: Smtp,
) -> Config:
    if not settings.REDIS_URL:
        pytest.skip("The production tier needs Redis: set REDIS_URL.")
    media = tmp_path / "media"
    media.mkdir()
    config = Config(
        port=stack.free_port(),
        database_url=stack.shared_database_url(),
        redis_url=settings.REDIS_URL,
        smtp_port=smtp.port,
        static_root=static_root,
        media_root=media,
        keys=keys,
        tls=tls,
    )
    if "own_broker" in request.fixturenames:
        config.broker_url = request.getfixturevalue("own_broker").url()
    marker = request.node.get_closest_marker("stack_environment")
    if marker is not None:
        config.environment = dict(marker.kwargs)
    return config


@pytest.fixture
def worker(config: Config, tmp_path: Path) -> Iterator[Worker]:
    process = Worker(config, tmp_path)
    process.start()
    yield process
    process.stop()
    process.forget_queue()


@pytest.fixture
def portal(config: Config, tmp_path: Path) -> Iterator[Portal]:
    server = Portal(config, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _production_password_hashers(settings) -> None:
    # The test settings hash with MD5 for speed; gunicorn checks passwords with the
    # production hashers, so the people made here get production hashes.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def company(transactional_db):
    return factories.business_account_create("My Company, Inc.")


@pytest.fixture
def alice(company):
    """alice administers My Company, Inc. (made in the database the portal reads)."""
    user = factories.user_create("alice@example.com", "Alice", "Admin")
    factories.membership_create(user, company, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def alice_browser(portal: Portal, alice) -> Browser:
    browser = Browser(portal)
    browser.sign_in(alice.email, factories.PASSWORD)
    return browser


@pytest.fixture
def proxy_host(config: Config, tmp_path: Path) -> ProxyInstallation:
    """A pmm-proxy installation on a host of its own: no Django, only the CA it trusts."""
    host = tmp_path / "proxy-host"
    host.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(host),
        "LANG": "C.UTF-8",
        "SSL_CERT_FILE": str(config.tls.cert),
    }
    return ProxyInstallation(state=host / "state", env=env)
