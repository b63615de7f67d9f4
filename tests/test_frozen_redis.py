"""A frozen Redis (SIGSTOP: the TCP connections stay open, nothing answers) costs each
request a bounded time, never a hang (issue 24, item 4).

The cache, the broker and the licensing rate limits all point at a redis-server of this
test's own, on a free port; the test stops it with SIGSTOP and checks, through the
public interfaces, signing in, inviting (the invitation committed, its e-mail waiting
in the outbox), activating a license and /healthz (503 naming the cache and the
broker); then SIGCONT, and everything is back. Before REDIS_TIMEOUT reached every use
of Redis a publish to the frozen broker waited for ever (gunicorn killed the worker
after 30 s: an HTML 500 for an invitation that had been committed).

Should a request hang, the Redis is let go after THAW_AFTER seconds, so the test fails
with the time the request took instead of hanging itself.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from myaccount.celery import app
from outbox import tasks as outbox_tasks
from outbox.delivery import sweep_after
from outbox.models import OutboxEmail
from tests.api.conftest import api_client, token_for
from tests.conftest import BrokerDown
from tests.factories import PASSWORD
from tests.licensing import factories as licensing
from tests.production.stack import RedisServer
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db

T = TypeVar("T")

# What the machine adds to a request's own Redis time (a loaded test machine).
SLACK_SECONDS = 1.5
THAW_AFTER = 15.0


class FrozenRedis:
    """A redis-server of the test's own that can be frozen (SIGSTOP) and thawed."""

    def __init__(self, directory: Path) -> None:
        self.server = RedisServer(directory)
        self.timer: threading.Timer | None = None

    def url(self) -> str:
        return self.server.url()

    def _signal(self, number: int) -> None:
        popen = self.server.process.popen
        if popen is not None and popen.poll() is None:
            popen.send_signal(number)

    def freeze(self) -> None:
        self._signal(signal.SIGSTOP)
        self.timer = threading.Timer(THAW_AFTER, self.thaw)
        self.timer.start()

    def thaw(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self._signal(signal.SIGCONT)


@pytest.fixture
def frozen_redis(tmp_path: Path, settings) -> Iterator[FrozenRedis]:
    directory = tmp_path / "redis"
    directory.mkdir()
    redis = FrozenRedis(directory)
    redis.server.start()
    url = redis.url()
    # What the app was configured with, taken before the settings below change it.
    broker = BrokerDown(app)
    # The cache (with the OPTIONS of the settings module), the licensing rate limits and
    # the broker (with its transport options) all on this Redis; tasks are published.
    settings.REDIS_URL = url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    broker.URL = url
    broker.down()
    try:
        yield redis
    finally:
        redis.thaw()
        broker.back()
        redis.server.stop()


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def bounded(seconds: float, what: str, call: Callable[[], T]) -> T:
    result, took = timed(call)
    assert took < seconds, f"{what} took {took:.1f} s with Redis frozen (bound {seconds:.1f} s)"
    return result


@pytest.fixture
def activation(company) -> str:
    subscription = licensing.subscription_make(company, licenses=5)
    key = licensing.primary_key_make(subscription)
    return licensing.Installation().activation(key.key, now=timezone.now())


def test_a_frozen_redis_costs_each_request_a_bounded_time(
    client,
    alice,
    company,
    activation,
    frozen_redis,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    request_bound = 2 * django_settings.REDIS_TIMEOUT + SLACK_SECONDS
    alice_api = api_client(token_for(alice))
    frozen_redis.freeze()

    # Signing in: the rate limits count in this process's memory.
    response = bounded(
        request_bound,
        "signing in",
        lambda: client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD}),
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)

    # Inviting: answered, committed, the e-mail waits in the outbox for the broker.
    def invite():
        with django_capture_on_commit_callbacks(execute=True):
            return alice_api.post(
                f"/api/v1/accounts/{company.pk}/invitations/",
                {"emails": ["new@example.com"]},
                format="json",
            )

    response = bounded(request_bound, "inviting", invite)
    assert response.status_code == 201, response.content
    invitation = Invitation.objects.get(account=company, email="new@example.com")
    assert invitation.outbox_email.status == OutboxEmail.Status.QUEUED
    assert mailoutbox == []

    # The licensing API: proxies keep activating.
    response = bounded(
        request_bound,
        "activating a license",
        lambda: client.post(
            "/api/licensing/activate/", {"message": activation}, content_type="application/json"
        ),
    )
    assert response.status_code == 200, response.content

    # /healthz says what is down, at once.
    response = bounded(2.0, "/healthz", lambda: client.get("/healthz"))
    assert response.status_code == 503
    assert set(response.json()["down"]) == {"cache", "broker"}

    frozen_redis.thaw()

    # Back within moments (each check asks Redis itself).
    wait_until(lambda: client.get("/healthz").status_code == 200, what="/healthz answering 200")
    # The broker is tried again after the pause that spared the requests above, the
    # sweep hands the waiting e-mail out, and it goes out once.
    outbox_tasks._broker_paused_until = 0.0
    app.conf.task_always_eager = True
    with time_machine.travel(timezone.now() + sweep_after() + timedelta(seconds=1)):
        outbox_tasks.email_sweep_task.delay()
    assert [message.to for message in mailoutbox] == [["new@example.com"]]
    invitation.outbox_email.refresh_from_db()
    assert invitation.outbox_email.status == OutboxEmail.Status.SENT
