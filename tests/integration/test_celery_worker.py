"""A real Celery worker, over the machine's Redis, does the weekly report end to end.

The worker runs as a subprocess on the same test database (pytest-django's, which
`transaction=True` makes visible to other connections), on a queue of its own so
that it never takes work from, or leaves work for, anything else on this Redis.
It writes e-mails as files into tmp_path, where the test reads them back.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from accounts.models import Membership
from accounts.services import invitation_create
from myaccount.celery import app as celery_app
from outbox import tasks as outbox_tasks
from outbox.models import OutboxEmail
from reports import tasks
from reports.models import WeeklyReport
from reports.services import week_start_for
from tests import factories as people
from tests.conftest import BrokerDown
from tests.reports import factories
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 90  # a cold worker start on a busy 2-core machine takes a few seconds


def _database_url() -> str:
    db = settings.DATABASES["default"]
    assert db["ENGINE"].endswith("postgresql"), "the worker needs a database it can share"
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def broker_url() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        pytest.skip("No broker: set REDIS_URL to run the Celery integration test.")
    return url


@pytest.fixture
def queue() -> str:
    return f"test-reports-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def through_the_broker():
    """This process enqueues for real instead of running tasks in-process."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def worker(broker_url, queue, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myaccount.settings",
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": settings.REDIS_URL or broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # Everything the worker enqueues (the e-mail task) stays on this run's queue.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "myaccount",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process, mail_dir, log_path
    finally:
        # Stop the worker before pytest-django flushes the database under it.
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            process.kill()
            process.wait(timeout=10)
        # Leave nothing of this run's queue behind on the shared Redis.
        with contextlib.suppress(Exception):
            client = redis.Redis.from_url(broker_url)
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
            client.close()


# Django's file backend writes a message, then a line of 79 dashes.
EMAIL_END = b"\n" + b"-" * 79


def whole_emails(mail_dir: Path) -> list[Path]:
    """The e-mail files the worker has finished writing (not merely opened)."""
    return [f for f in sorted(mail_dir.glob("*.log")) if EMAIL_END in f.read_bytes()]


def _wait_for(condition, *, process, log_path: Path, what: str):
    def awaited():
        result = condition()
        if not result and process.poll() is not None:
            pytest.fail(f"The worker exited ({process.returncode}):\n{log_path.read_text()}")
        return result

    return wait_until(
        awaited,
        what=what,
        timeout=WAIT_SECONDS,
        details=lambda: f"Worker log:\n{log_path.read_text()}",
    )


def test_a_real_worker_stores_the_weekly_report_and_emails_it(worker, queue, through_the_broker):
    process, mail_dir, log_path = worker
    company = people.business_account_create("My Company, Inc.")
    alice = people.user_create("alice@example.com", "Alice", "Admin")
    people.membership_create(alice, company, role=Membership.Role.ADMIN)
    subscription = factories.subscription_create(
        company, licenses=25, ends_on=timezone.localdate() + timedelta(days=400)
    )
    proxy = factories.proxy_create(factories.primary_key(subscription), server_name="hq-proxy")
    # The worker reports the week before its own "now".
    week_start = week_start_for(now=timezone.now())
    factories.usage_week(proxy, week_start=week_start, peaks=[10, 30])

    tasks.weekly_reports_task.apply_async(queue=queue)

    report = _wait_for(
        lambda: WeeklyReport.objects.filter(account=company, email_queued_at__isnull=False).first(),
        process=process,
        log_path=log_path,
        what="report with its e-mail in the outbox",
    )
    files = _wait_for(
        lambda: whole_emails(mail_dir), process=process, log_path=log_path, what="e-mail"
    )

    assert report.week_start == week_start
    assert (report.licenses, report.peak, report.over_limit) == (25, 30, True)
    assert [p["server_name"] for p in report.data["proxies"]] == ["hq-proxy"]
    [message_file] = files
    # The file backend writes the message followed by a line of dashes.
    message = message_from_bytes(message_file.read_bytes().rsplit(b"\n" + b"-" * 79, 1)[0])
    assert message["To"] == "alice@example.com"
    assert "Weekly usage report for My Company, Inc." in message["Subject"]
    parts = {part.get_content_type(): part for part in message.walk()}
    assert "hq-proxy" in parts["text/plain"].get_payload(decode=True).decode()
    assert f"/usage-reports/{report.id}/" in parts["text/html"].get_payload(decode=True).decode()
    assert WeeklyReport.objects.count() == 1
    # Sent through the outbox, and marked sent there.
    assert _wait_for(
        lambda: OutboxEmail.objects.filter(kind="reports.weekly_report", status="sent").exists(),
        process=process,
        log_path=log_path,
        what="outbox row marked sent",
    )


def test_an_invitation_made_while_the_broker_is_down_arrives_once_when_it_is_back(
    worker, queue, through_the_broker, settings
):
    process, mail_dir, log_path = worker
    company = people.business_account_create("My Company, Inc.")
    alice = people.user_create("alice@example.com", "Alice", "Admin")
    people.membership_create(alice, company, role=Membership.Role.ADMIN)
    settings.OUTBOX_SWEEP_AFTER = 0  # the sweep may take it up at once

    broker = BrokerDown(celery_app)
    broker.down()
    try:
        outcome = invitation_create(account=company, actor=alice, emails=["nina@example.com"])
    finally:
        broker.back()
    [invitation] = outcome.invited
    assert OutboxEmail.objects.get(pk=invitation.outbox_email_id).status == "queued"

    # Beat's sweep, once the broker is back: the worker hands the e-mail to itself.
    outbox_tasks.email_sweep_task.apply_async(queue=queue)
    outbox_tasks.email_sweep_task.apply_async(queue=queue)

    files = _wait_for(
        lambda: whole_emails(mail_dir), process=process, log_path=log_path, what="e-mail"
    )
    _wait_for(
        lambda: OutboxEmail.objects.filter(pk=invitation.outbox_email_id, status="sent").exists(),
        process=process,
        log_path=log_path,
        what="outbox row marked sent",
    )
    [message_file] = files
    message = message_from_bytes(message_file.read_bytes().rsplit(b"\n" + b"-" * 79, 1)[0])
    assert message["To"] == "nina@example.com"
    assert len(list(mail_dir.glob("*.log"))) == 1
