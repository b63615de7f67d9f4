"""The writers that share a license key's rows, racing on Postgres, never answer 500.

Sublicense changes (PATCH), deletions (DELETE) and activations (the proxies' API) of one
key, released together round after round by a barrier, each in a thread of its own with
its own database connection, through the public HTTP interfaces. Before the portal had
one lock order (core/locks.py), the administrator's side locked the account row FOR
UPDATE and then waited for the key, while an activation held the key and waited for the
account (the KEY SHARE lock of its inserts' foreign keys): "deadlock detected", a 500.

Each pair of writers runs ROUNDS rounds; every answer must be a success or a refusal
the API documents (4xx JSON), and the rows must say what the answers said.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from proxies.models import ProxyServer
from subscriptions.models import LicenseKey
from tests.api.conftest import api_client, token_for
from tests.licensing import factories as licensing

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need Postgres"),
]

# With the account locked FOR UPDATE again (the order these races were written against)
# and no retry, 78 to 98 of 100 rounds of each race deadlocked: 25 rounds cannot miss it.
ROUNDS = 25
ACTIVATE = "/api/licensing/activate/"
# The refusals an activation may meet in these races (licensing/errors.py).
ACTIVATION_REFUSALS = {"key_in_use", "invalid_key"}


@dataclass
class Round:
    """What one round's writers act on, and what they answered."""

    key: LicenseKey
    installations: list[licensing.Installation] = field(default_factory=list)
    answers: dict[str, list[tuple[int, str]]] = field(default_factory=dict)


class Race:
    """Writers in threads of their own (own database connections, kept across rounds),
    released together in every round; the main thread prepares each round and checks it."""

    def __init__(self, writers: dict[str, tuple[int, Callable[[Round, int], tuple[int, str]]]]):
        self.jobs = [
            (name, index, write)
            for name, (count, write) in writers.items()
            for index in range(count)
        ]
        self.start = threading.Barrier(len(self.jobs) + 1, timeout=60)
        self.done = threading.Barrier(len(self.jobs) + 1, timeout=60)
        self.round: Round | None = None
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._work, args=job, daemon=True) for job in self.jobs
        ]
        for thread in self.threads:
            thread.start()

    def _work(self, name: str, index: int, write: Callable[[Round, int], tuple[int, str]]):
        try:
            while True:
                self.start.wait()
                current = self.round
                if current is None:
                    return
                try:
                    answer = write(current, index)
                except Exception as exc:  # a crash is an answer too: the assertion shows it
                    answer = (-1, repr(exc))
                with self.lock:
                    current.answers.setdefault(name, []).append(answer)
                self.done.wait()
        finally:
            connection.close()

    def run(self, current: Round) -> Round:
        self.round = current
        self.start.wait()
        self.done.wait()
        return current

    def stop(self) -> None:
        self.round = None
        self.start.wait()
        for thread in self.threads:
            thread.join(timeout=30)


def _code(response) -> str:
    if response.status_code < 400:
        return ""
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return response.content[:200].decode(errors="replace")


@pytest.fixture
def scene(company, alice, settings):
    # The proxies' rate limits are not what races here.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    subscription = licensing.subscription_make(company, licenses=50)
    licensing.primary_key_make(subscription)
    secret = token_for(alice)
    base = f"/api/v1/accounts/{company.pk}/subscriptions/{subscription.pk}/license-keys/"
    clients: dict[int, APIClient] = {}
    proxies: dict[int, Client] = {}

    def admin(index: int) -> APIClient:
        # One client per writer thread: a test client is not shared between threads.
        return clients.setdefault(index, api_client(secret))

    def proxy(index: int) -> Client:
        return proxies.setdefault(index, Client(raise_request_exception=False))

    def patch(current: Round, index: int) -> tuple[int, str]:
        client = admin(100 + index)
        client.raise_request_exception = False
        quota = 2 + index % 2
        response = client.patch(f"{base}{current.key.pk}/", {"quota": quota}, format="json")
        return response.status_code, _code(response)

    def delete(current: Round, index: int) -> tuple[int, str]:
        client = admin(200 + index)
        client.raise_request_exception = False
        response = client.delete(f"{base}{current.key.pk}/")
        return response.status_code, _code(response)

    def activate(current: Round, index: int) -> tuple[int, str]:
        text = current.installations[index].activation(current.key.key, now=timezone.now())
        response = proxy(index).post(ACTIVATE, {"message": text}, content_type="application/json")
        return response.status_code, _code(response)

    def new_round(*, activations: int) -> Round:
        key = licensing.sublicense_make(
            subscription, quota=3, name="Race", type=LicenseKey.Type.DYNAMIC
        )
        return Round(
            key=key,
            installations=[licensing.Installation(f"pmm{i}") for i in range(activations)],
        )

    return type(
        "Scene",
        (),
        {"patch": patch, "delete": delete, "activate": activate, "new_round": new_round},
    )


def _race(writers, rounds: list[Round] | Callable[[], Round]) -> list[Round]:
    race = Race(writers)
    done = []
    try:
        for _ in range(ROUNDS):
            done.append(race.run(rounds()))
    finally:
        race.stop()
    return done


def _no_deadlocks(caplog: pytest.LogCaptureFixture) -> None:
    """No writer met a deadlock at all: in the lock order none can happen. (A deadlock
    that happens anyway is retried, core.locks.deadlock_retry, and would answer 200: the
    answers alone do not show that the order broke.)"""
    retried = [r.getMessage() for r in caplog.records if r.name == "core.locks"]
    assert retried == [], f"{len(retried)} deadlocks retried, first: {retried[:1]}"


def _no_server_errors(done: list[Round]) -> None:
    failures = [
        (name, answer)
        for current in done
        for name, answers in current.answers.items()
        for answer in answers
        if answer[0] >= 500 or answer[0] < 0
    ]
    assert failures == [], f"{len(failures)} server errors, first: {failures[:3]}"


def _activations_agree(current: Round) -> None:
    won = [a for a in current.answers["activate"] if a[0] == 200]
    assert len(won) <= 1, current.answers
    assert {code for status, code in current.answers["activate"] if status != 200} <= (
        ACTIVATION_REFUSALS
    ), current.answers
    holding = ProxyServer.objects.filter(
        license_key=current.key, status__in=ProxyServer.HOLDING_STATUSES
    ).count()
    current.key.refresh_from_db()
    if current.key.deleted_at is not None:
        # Deleting a sublicense deactivates the installation that used it (DESIGN.md).
        assert holding == 0, current.answers
    else:
        assert holding == len(won), current.answers


def test_sublicense_changes_and_activations_of_one_key_never_deadlock(scene, caplog):
    done = _race(
        {"patch": (1, scene.patch), "activate": (3, scene.activate)},
        lambda: scene.new_round(activations=3),
    )
    _no_server_errors(done)
    _no_deadlocks(caplog)
    for current in done:
        _activations_agree(current)
        assert current.answers["patch"] == [(200, "")]


def test_sublicense_deletions_and_activations_of_one_key_never_deadlock(scene, caplog):
    done = _race(
        {"delete": (1, scene.delete), "activate": (3, scene.activate)},
        lambda: scene.new_round(activations=3),
    )
    _no_server_errors(done)
    _no_deadlocks(caplog)
    for current in done:
        _activations_agree(current)
        assert current.answers["delete"] == [(204, "")]


def test_sublicense_changes_and_deletions_of_one_key_never_deadlock(scene, caplog):
    done = _race(
        {"patch": (1, scene.patch), "delete": (1, scene.delete), "activate": (1, scene.activate)},
        lambda: scene.new_round(activations=1),
    )
    _no_server_errors(done)
    _no_deadlocks(caplog)
    for current in done:
        _activations_agree(current)
        assert current.answers["delete"] == [(204, "")]
        # The change either came first or found the key deleted (a documented refusal).
        assert current.answers["patch"][0] in {
            (200, ""),
            (404, "not_found"),
            (400, "license_key_deleted"),
        }, current.answers


def _wait_for_a_blocked_backend(cursor, deadline: float) -> None:
    while True:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        if cursor.fetchone()[0]:
            return
        assert time.monotonic() < deadline, "the activation never waited for the account"
        time.sleep(0.02)


def test_a_deadlock_that_happens_anyway_is_retried_not_answered_500(scene):
    """A writer outside the lock order (as the webhook worker was: the account FOR
    UPDATE, then the key) meets an activation: Postgres aborts one of them, and the
    activation it aborts runs again and answers 200."""
    current = scene.new_round(activations=1)
    account_id = current.key.subscription.account_id
    intruder_ready = threading.Event()
    intruder_errors: list[BaseException] = []

    def intruder() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # Never the one Postgres picks as the victim: the activation checks first.
                cursor.execute("SET LOCAL deadlock_timeout = '60s'")
                cursor.execute(
                    "SELECT id FROM accounts_account WHERE id = %s FOR UPDATE", [account_id]
                )
                intruder_ready.set()
                # The activation holds its key and waits, at commit, for the account.
                _wait_for_a_blocked_backend(cursor, time.monotonic() + 30)
                cursor.execute(
                    "SELECT id FROM subscriptions_licensekey WHERE id = %s FOR UPDATE",
                    [current.key.pk],
                )
        except BaseException as exc:  # shown by the assertion below
            intruder_errors.append(exc)
        finally:
            intruder_ready.set()
            connection.close()

    thread = threading.Thread(target=intruder)
    thread.start()
    assert intruder_ready.wait(timeout=30)
    answer = scene.activate(current, 0)
    thread.join(timeout=60)

    assert intruder_errors == []
    assert answer == (200, "")
    assert ProxyServer.objects.filter(license_key=current.key, status="active").count() == 1
