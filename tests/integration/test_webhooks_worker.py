"""Real Celery workers deliver webhooks, as docker-compose runs them: the default
worker (e-mail, the sweeps) on this run's queue, and the webhook pool on a webhooks
queue of this run's own (WEBHOOKS_QUEUE, CELERY_TASK_ROUTES). The beat sweep's task,
run through the broker, turns a change into one delivery task per endpoint; a receiver
that hangs holds one webhook thread while another endpoint gets its event at once, and
a receiver that answers a byte a second is cut off at the deadline while another
account's e-mail goes out meanwhile."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path

import pytest
import redis

from accounts.services import invitation_create
from myaccount.celery import app as celery_app
from outbox import tasks as outbox_tasks
from outbox.models import OutboxEmail
from subscriptions import services as subscription_services
from tests import factories
from tests.conftest import BrokerDown
from tests.integration.test_celery_worker import (  # noqa: F401 - fixtures used by name
    BASE_DIR,
    EMAIL_END,
    _database_url,
    _wait_for,
    broker_url,
    queue,
    through_the_broker,
    whole_emails,
)
from tests.webhooks.conftest import Drip, Receiver, endpoint_make
from webhooks.models import Attempt, Delivery
from webhooks.tasks import webhooks_sweep_task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEADLINE_SECONDS = 12


class Workers:
    """The two worker pools, each a subprocess logging to a file of its own."""

    def __init__(self, default, webhooks, mail_dir: Path) -> None:
        self.default, self.webhooks, self.mail_dir = default, webhooks, mail_dir

    def wait_for(self, condition, *, what: str):
        for process, log_path in (self.default, self.webhooks):
            if process.poll() is not None:
                pytest.fail(f"A worker exited ({process.returncode}):\n{log_path.read_text()}")
        process, log_path = self.webhooks
        try:
            return _wait_for(
                condition, process=self.default[0], log_path=self.default[1], what=what
            )
        except pytest.fail.Exception:
            print(f"Webhook worker log:\n{log_path.read_text()}")
            raise


@pytest.fixture
def workers(broker_url, queue, tmp_path):  # noqa: F811 - the imported fixtures
    """`worker` and `worker-webhooks` of docker-compose.yml, on this run's queues."""
    hooks_queue = f"{queue}-webhooks"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myaccount.settings",
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "WEBHOOKS_QUEUE": hooks_queue,
        "WEBHOOKS_ALLOW_INSECURE": "1",  # the receivers are on this machine
        "WEBHOOKS_TIMEOUT_SECONDS": str(DEADLINE_SECONDS),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
    }
    common = ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    pools = {
        "default": [*("--pool=solo", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h")],
        "webhooks": [
            *("--pool=threads", "--concurrency=2", "-Q", hooks_queue, "-n", f"{hooks_queue}@%h")
        ],
    }
    started = {}
    for name, pool in pools.items():
        log_path = tmp_path / f"worker-{name}.log"
        with log_path.open("wb") as log:
            started[name] = (
                subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "myaccount", "worker", *pool, *common],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                log_path,
            )
    yield Workers(started["default"], started["webhooks"], mail_dir)
    for process, _ in started.values():
        process.terminate()
    for process, _ in started.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            process.kill()
            process.wait(timeout=10)
    with contextlib.suppress(Exception):
        client = redis.Redis.from_url(broker_url)
        for name in (queue, hooks_queue):
            client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
        client.close()


@pytest.fixture
def receivers():
    slow = Receiver(answers=["hang"], hang_seconds=6).start()
    fast = Receiver().start()
    yield slow, fast
    slow.stop()
    fast.stop()


@pytest.fixture
def drip():
    receiver = Drip(interval=1.0).start()
    yield receiver
    receiver.stop()


@pytest.mark.usefixtures("through_the_broker")
def test_a_hanging_receiver_holds_one_worker_and_the_other_endpoint_is_served(
    workers, receivers, settings, alice, company, request
):
    run_queue = request.getfixturevalue("queue")
    settings.WEBHOOKS_ALLOW_INSECURE = True
    slow, fast = receivers
    endpoint_make(company, alice, slow.url, types=["sublicense.created"])
    _, fast_secret = endpoint_make(company, alice, fast.url, types=["sublicense.created"])
    subscription = factories.subscription_create(company, licenses=10)
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )

    webhooks_sweep_task.apply_async(queue=run_queue)

    workers.wait_for(lambda: slow.received, what="slow request")
    workers.wait_for(lambda: fast.received, what="fast delivery")
    # The slow receiver still sits on its request: the other endpoint did not wait.
    assert not Delivery.objects.filter(status="delivered", endpoint__url=slow.url).exists()
    assert fast.events(fast_secret)[0]["type"] == "sublicense.created"
    workers.wait_for(
        lambda: Delivery.objects.filter(status="delivered").count() == 2,
        what="both deliveries recorded",
    )


@pytest.mark.usefixtures("through_the_broker")
def test_a_dripping_receiver_is_cut_at_the_deadline_and_another_accounts_email_goes_out(
    workers, drip, settings, alice, company, charlie, other_company, request
):
    run_queue = request.getfixturevalue("queue")
    settings.WEBHOOKS_ALLOW_INSECURE = True
    settings.OUTBOX_SWEEP_AFTER = 0  # the sweep may take the invitation up at once
    endpoint_make(company, alice, drip.url, types=["sublicense.created"])
    subscription = factories.subscription_create(company, licenses=10)
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )
    webhooks_sweep_task.apply_async(queue=run_queue)
    workers.wait_for(drip.dripping.is_set, what="request at the dripping receiver")

    # Meanwhile another account invites someone; its e-mail waits in the outbox (the
    # test's own broker is down, so only the run's workers hand it out).
    broker = BrokerDown(celery_app)
    broker.down()
    try:
        outcome = invitation_create(
            account=other_company, actor=charlie, emails=["nina@example.com"]
        )
    finally:
        broker.back()
    [invitation] = outcome.invited
    outbox_tasks.email_sweep_task.apply_async(queue=run_queue)

    # A whole message, not merely the file the worker has opened.
    [message_file] = workers.wait_for(
        lambda: whole_emails(workers.mail_dir), what="the invitation e-mail, whole"
    )
    # Sent while the receiver was still dripping its answer: the delivery held no
    # worker that sends e-mail.
    assert not drip.hung_up.is_set() and not drip.finished.is_set()
    message = message_from_bytes(message_file.read_bytes().rsplit(EMAIL_END, 1)[0])
    assert message["To"] == "nina@example.com"
    # The worker records the send once the message is out: a moment after the file.
    workers.wait_for(
        lambda: OutboxEmail.objects.get(pk=invitation.outbox_email_id).status == "sent",
        what="the invitation recorded as sent",
    )

    # Then the deadline: the portal hangs up on the receiver mid-answer, and the
    # attempt is a failure (retried later), recorded once.
    attempt = workers.wait_for(lambda: Attempt.objects.first(), what="the cut attempt")
    assert drip.hung_up.wait(timeout=10) and not drip.finished.is_set()
    assert drip.sent < len(Drip.ANSWER) // 2
    assert attempt.error == (
        f"No complete answer within {DEADLINE_SECONDS} seconds: the connection was closed."
    )
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("pending", 1)
    assert drip.requests == 1  # not claimed again while it was being sent
