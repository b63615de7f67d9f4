"""Real Celery workers deliver webhooks: the beat sweep's task, run through the broker,
turns a change into one delivery task per endpoint, and a receiver that hangs holds
one worker thread while another endpoint gets its event at once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from subscriptions import services as subscription_services
from tests import factories
from tests.integration.test_celery_worker import (  # noqa: F401 - fixtures used by name
    BASE_DIR,
    WAIT_SECONDS,
    _database_url,
    _wait_for,
    broker_url,
    queue,
    through_the_broker,
)
from tests.webhooks.conftest import Receiver, endpoint_make
from webhooks.models import Delivery
from webhooks.tasks import webhooks_sweep_task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(broker_url, queue, tmp_path):  # noqa: F811 - the imported fixtures
    """Two worker threads on this run's own queue, as `make worker` runs them."""
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myaccount.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "WEBHOOKS_ALLOW_INSECURE": "1",  # the receivers are on this machine
        # Longer than the test waits for anything: the hanging receiver's request ends
        # when the test lets it go, never by the timeout.
        "WEBHOOKS_TIMEOUT_SECONDS": str(WAIT_SECONDS * 2),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "myaccount", "worker"),
        *("--pool=threads", "--concurrency=2", "-Q", queue, "-n", f"{queue}@%h"),
        *("--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    yield process, log_path
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def receivers():
    slow = Receiver(answers=["hang"], hang_seconds=WAIT_SECONDS * 2).start()
    fast = Receiver().start()
    yield slow, fast
    slow.stop()
    fast.stop()


@pytest.mark.usefixtures("through_the_broker")
def test_a_hanging_receiver_holds_one_worker_and_the_other_endpoint_is_served(
    workers, receivers, settings, alice, company, request
):
    settings.WEBHOOKS_ALLOW_INSECURE = True
    run_queue = request.getfixturevalue("queue")
    process, log_path = workers
    slow, fast = receivers
    endpoint_make(company, alice, slow.url, types=["sublicense.created"])
    _, fast_secret = endpoint_make(company, alice, fast.url, types=["sublicense.created"])
    subscription = factories.subscription_create(company, licenses=10)
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )

    webhooks_sweep_task.apply_async(queue=run_queue)

    _wait_for(lambda: slow.received, process=process, log_path=log_path, what="slow request")
    # The slow receiver sits on its request until it is let go: the other endpoint's
    # event arrives meanwhile, through the worker's second thread.
    _wait_for(lambda: fast.received, process=process, log_path=log_path, what="fast delivery")
    assert fast.events(fast_secret)[0]["type"] == "sublicense.created"
    slow.release.set()
    _wait_for(
        lambda: Delivery.objects.filter(status="delivered").count() == 2,
        process=process,
        log_path=log_path,
        what="both deliveries recorded",
    )
