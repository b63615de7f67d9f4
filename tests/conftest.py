"""Shared fixtures. The cast:

- alice administers the business account "My Company, Inc.";
- bob is a Regular Member of it;
- dave was a member of it and is blocked;
- charlie administers another company, "Other Corp".
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.test.testcases import LiveServerThread
from django.utils import timezone, translation
from pytest_django.plugin import validate_django_db

from accounts.models import Membership
from core.servers import ThreadedWSGIServer
from outbox import tasks as outbox_tasks
from tests import factories
from tests.zero_setup import portal as zero_setup_portal

TESTS = Path(__file__).resolve().parent

# pytest-django's live server is Django's LiveServerThread: with this server class it
# answers a kept-alive connection at once, as runserver and gunicorn do, rather than
# 40 ms later (core/servers.py).
LiveServerThread.server_class = ThreadedWSGIServer

# pytest-xdist (`make test`: `-n auto`, its "load" distribution, `--maxschedchunk 1`)
# deals the tests to its workers in the order of the collection, one at a time, and each
# worker runs them in that order. The order is pytest-django's, as Django sorts: the tests
# in a rolled-back transaction first, then those that commit (each of which empties the
# tables, the data migrations' rows too, so none may come before a test that needs those
# rows on the same worker), then those without a database. Those last may run anywhere,
# so the slow ones among them are moved up to just before the committing ones (by then
# the zero-setup portal, started with the run, is up). Within each part the slow tiers go
# first, so that the last tests dealt are short ones and the workers finish at about the
# same time. The committing tests that mostly wait (real Celery workers sitting out a
# receiver's deadline) are dealt while the other worker runs schemathesis, rather than
# together near the end, where both workers waited at once and the machine idled.
# (A distribution by scope, xdist's loadfile/loadscope/loadgroup, or worksteal would
# break that order; loadgroup's groups are also lost on pytest 9, which ignores the
# nodeid xdist rewrites.)
SLOW_FIRST = [
    TESTS / "api" / "test_schemathesis.py",
    TESTS / "integration",
    TESTS / "production",
    TESTS / "zero_setup" / "test_pages.py",
    TESTS / "e2e" / "test_accessibility.py",
    TESTS / "e2e",
    TESTS / "zero_setup",
    TESTS / "test_deploy_check.py",
    TESTS / "test_gunicorn.py",
    TESTS / "test_lock_order.py",
    TESTS / "licensing" / "test_envelope.py",
    TESTS / "test_i18n_catalogs.py",
]


def _rank(item: pytest.Item) -> int:
    for rank, path in enumerate(SLOW_FIRST):
        if item.path.is_relative_to(path):
            return rank
    return len(SLOW_FIRST)


def _part(item: pytest.Item) -> int:
    """pytest-django's part of a test: 0 rolled back, 1 committing, 2 no database."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if marker and any(validate_django_db(marker)[:2]):  # transaction, reset_sequences
        return 1
    if "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if marker or "db" in fixtures else 2


def _place(item: pytest.Item) -> tuple[int, int]:
    part, rank = _part(item), _rank(item)
    if part == 2 and rank < len(SLOW_FIRST):
        return (1, rank)  # a slow test without a database: before the committing ones
    return ({0: 0, 1: 2, 2: 3}[part], rank)


@pytest.hookimpl(trylast=True)  # after pytest-django's sort, whose parts this keeps
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_place)


# --- the zero-setup portal: one per run (tests/zero_setup/portal.py) ----------------------
# Under pytest-xdist the controller starts it as soon as the workers have collected a test
# of tests/zero_setup/ (it comes up while they run the others) and stops it at the end;
# each worker learns where it is from its workerinput.
_SHARED_PORTAL = pytest.StashKey[zero_setup_portal.Shared]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    basetemp = node.config._tmp_path_factory.getbasetemp()
    shared = node.config.stash.setdefault(_SHARED_PORTAL, zero_setup_portal.Shared(basetemp))
    node.workerinput["zero_setup_state"] = str(shared.state)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    node.config.stash[_SHARED_PORTAL].start_for(ids)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # On the controller, each worker's report of a test: the portal stops after the last
    # zero-setup test rather than at the end of the run (its processes use the CPU too).
    if report.when == "teardown" and hasattr(report, "node"):
        shared = report.node.config.stash.get(_SHARED_PORTAL, None)
        if shared is not None:
            shared.finished(report.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    shared = session.config.stash.get(_SHARED_PORTAL, None)
    if shared is not None:
        shared.stopped()


# Deletes the keys under a prefix in one round trip (a test Redis holds a few dozen).
_DELETE_PREFIXED = """
local keys = redis.call('KEYS', ARGV[1])
for i = 1, #keys, 500 do
  redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
end
return #keys
"""


@pytest.fixture(scope="session")
def _redis() -> Iterator[redis.Redis | None]:
    client = redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None
    yield client
    if client is not None:
        client.close()


@pytest.fixture(autouse=True)
def _clear_cache(_redis):
    """Rate-limit counters live in the (Redis) cache: every test starts with none. Only
    this test process's keys go (CACHE_KEY_PREFIX: one per pytest-xdist worker), never
    those of a test running beside it on the same Redis."""
    if _redis is None:
        cache.clear()
    else:
        _redis.eval(_DELETE_PREFIXED, 0, f"{settings.CACHE_KEY_PREFIX}:*")
    yield


@pytest.fixture(autouse=True)
def _default_locale():
    """Every test starts in the portal's default language and time zone: a request a
    test made in German (LocaleMiddleware activates the language for the thread and
    leaves it) must not make the next test's English German."""
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.fixture
def redis_down(settings) -> str:
    """Redis unreachable: the cache and the rate limits point at a loopback port where
    nothing listens (bound once, then released). Never the machine's own Redis."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    return url


@pytest.fixture
def company(db):
    return factories.business_account_create("My Company, Inc.")


@pytest.fixture
def other_company(db):
    return factories.business_account_create("Other Corp")


@pytest.fixture
def alice(company):
    user = factories.user_create("alice@example.com", "Alice", "Admin")
    factories.membership_create(user, company, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def bob(company):
    user = factories.user_create("bob@example.com", "Bob", "Member")
    factories.membership_create(user, company, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def dave(company):
    user = factories.user_create("dave@example.com", "Dave", "Blocked")
    factories.membership_create(
        user, company, role=Membership.Role.MEMBER, status=Membership.Status.BLOCKED
    )
    return user


@pytest.fixture
def lena_key(company):
    """The one key lena administers: a sublicense of the company's "Branch Office"."""
    subscription = factories.subscription_create(company, licenses=5, name="Branch Office")
    return factories.license_key_create(subscription, quota=2, name="Branch")


@pytest.fixture
def lena(company, lena_key):
    """A License Administrator of lena_key, and nothing else of the company."""
    user = factories.user_create("lena@example.com", "Lena", "Keys")
    factories.license_key_administrator_create(user, lena_key)
    return user


@pytest.fixture
def lena_client(lena) -> Client:
    return _client_for(lena)


@pytest.fixture
def charlie(other_company):
    user = factories.user_create("charlie@example.com", "Charlie", "Other")
    factories.membership_create(user, other_company, role=Membership.Role.ADMIN)
    return user


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def charlie_client(charlie) -> Client:
    return _client_for(charlie)


@pytest.fixture
def dave_client(dave) -> Client:
    return _client_for(dave)


def recently_authenticated(client: Client, user) -> Client:
    """Record in the client's session that the user confirmed their password a moment
    ago, as allauth's reauthentication does: pages that ask for it (API tokens) let
    the user on for the next few minutes."""
    import time

    from allauth.account.internal.flows import login as login_flow

    session = client.session
    session[login_flow.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
    ]
    session[login_flow._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


class BrokerDown:
    """The Celery broker is unreachable: tasks are published to a port where nothing
    listens (no in-process shortcut), as when Redis is stopped. `back()` brings it back
    the way the test suite runs tasks (in-process)."""

    URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there

    def __init__(self, app) -> None:
        self.app = app
        self.saved = {
            key: app.conf[key]
            for key in ("broker_url", "task_always_eager", "broker_connection_retry")
        }

    def _reset_pools(self) -> None:
        # The app caches its connection and producer pools: drop them, so that the next
        # publish picks the pools of the address now configured (kombu keeps one per URL).
        self.app._pool = None
        self.app.amqp._producer_pool = None

    def down(self) -> None:
        # A new outage: the portal has not yet seen the broker fail in this one.
        outbox_tasks._broker_paused_until = 0.0
        self._reset_pools()
        self.app.conf.broker_url = self.URL
        self.app.conf.task_always_eager = False

    def back(self) -> None:
        outbox_tasks._broker_paused_until = 0.0
        self._reset_pools()
        self.app.conf.update(self.saved)


@pytest.fixture
def broker_down():
    from myaccount.celery import app

    broker = BrokerDown(app)
    broker.down()
    yield broker
    broker.back()


@pytest.fixture(scope="session")
def _playwright():
    """Playwright's sync API, started once per test process (tests/browser.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    """The session's Debian chromium (tests/browser.py): every journey shares it."""
    from tests.browser import chromium_launch

    browser = chromium_launch(_playwright)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def sweep_browser(_playwright):
    """The session's Debian chromium-headless-shell (tests/browser.py): the sweeps that
    open every page and read it share it."""
    from tests.browser import HEADLESS_SHELL, chromium_launch

    browser = chromium_launch(_playwright, HEADLESS_SHELL)
    yield browser
    browser.close()
