"""E-mail once, even when the database connection drops (issue 24, item 6).

A real SMTP server on loopback (aiosmtpd) accepts each message and, for 12 of 100
invitations, terminates the sending worker's database connection (pg_terminate_backend)
right after accepting it: the worst moment, between "250 accepted" and the row saying
"sent". The worker's side is what a Celery worker does (its connection hygiene before
each task, then email_send_task); ten minutes later the sweep hands out whatever still
looks unsent. Before the outcome was recorded on a new connection, each of the 12 went
out twice.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import psycopg2
import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import close_old_connections, connection
from django.utils import timezone

from accounts.services import invitation_create
from outbox import tasks
from outbox.delivery import LEASE, sweep_after
from outbox.models import OutboxEmail
from tests.production.stack import free_port

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_terminate_backend"),
]

INVITATIONS = 100
TERMINATE_EVERY = 8  # 12 terminations in 100 e-mails


class Mailserver:
    """aiosmtpd on loopback: keeps every message; `on_message(message)` returns the SMTP
    answer and may act first (terminate the sender's database connection)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.received: list[Message] = []
        self.answer = lambda message: "250 OK"
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.received.append(message)
        return self.answer(message)

    def recipients(self) -> Counter[str]:
        with self.lock:
            return Counter(message["To"] for message in self.received)


@pytest.fixture
def mailserver(settings):
    server = Mailserver()
    server.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.controller.stop()


@pytest.fixture
def killer():
    """A connection of its own that terminates other backends, as an operator would."""
    params = connection.get_connection_params()
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    yield conn
    conn.close()
    # The test's own connection may be one it terminated: a new one for the teardown.
    connection.close()


def _terminate(killer, pid: int) -> None:
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while True:  # gone for sure before the sender hears "250"
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, f"backend {pid} did not go"
            time.sleep(0.01)


def _invite_everyone(company, alice, broker_down) -> list[str]:
    """100 invitations written while the broker is down: all wait in the outbox."""
    emails = [f"invitee{n:03}@example.com" for n in range(INVITATIONS)]
    for start in range(0, INVITATIONS, 50):
        invitation_create(account=company, actor=alice, emails=emails[start : start + 50])
    broker_down.back()
    assert OutboxEmail.objects.filter(status="queued").count() == INVITATIONS
    return emails


def _worker_runs(email_id: int, sender: dict[str, int]) -> None:
    """One task as a Celery worker runs it: a broken connection is closed first (its
    Django fixup), and the sending connection's backend is noted for the terminator."""
    close_old_connections()
    connection.ensure_connection()
    sender["pid"] = connection.connection.get_backend_pid()
    # A task that fails is logged by the worker, which takes the next one.
    with contextlib.suppress(Exception):
        tasks.email_send_task.apply(args=[email_id])


def test_dropped_database_connections_send_no_invitation_twice(
    company, alice, broker_down, mailserver, killer
):
    emails = _invite_everyone(company, alice, broker_down)
    sender: dict[str, int] = {}
    terminations = 0

    def answer(message: Message) -> str:
        nonlocal terminations
        if len(mailserver.received) % TERMINATE_EVERY == 0:
            _terminate(killer, sender["pid"])
            terminations += 1
        return "250 OK"

    mailserver.answer = answer
    for email_id in OutboxEmail.objects.order_by("id").values_list("id", flat=True):
        _worker_runs(email_id, sender)
    mailserver.answer = lambda message: "250 OK"
    close_old_connections()

    # Ten minutes later: the sweep hands out what still looks unsent.
    with time_machine.travel(timezone.now() + LEASE + sweep_after() + timedelta(minutes=1)):
        tasks.email_sweep_task.delay()

    assert terminations == INVITATIONS // TERMINATE_EVERY
    received = mailserver.recipients()
    twice = {address: n for address, n in received.items() if n > 1}
    assert twice == {}, f"{len(twice)} of {INVITATIONS} invitations arrived more than once"
    assert sorted(received) == emails
    assert OutboxEmail.objects.filter(status="sent").count() == INVITATIONS


def test_every_attempt_of_an_email_carries_the_same_message_id(company, alice, mailserver):
    """A copy sent again is the same message to the receiving side, which can drop it."""
    answers = iter(["451 Try again later", "250 OK"])
    mailserver.answer = lambda message: next(answers)
    now = timezone.now()
    [invitation] = invitation_create(
        account=company, actor=alice, emails=["late@example.com"], now=now
    ).invited  # the first attempt runs after commit (the test's tasks run in-process)
    email = OutboxEmail.objects.get(pk=invitation.outbox_email_id)
    assert email.status == "queued" and email.attempts == 1

    with time_machine.travel(email.next_attempt_at + timedelta(seconds=1)):
        tasks.email_sweep_task.delay()

    first, second = mailserver.received
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<outbox.{email.pk}.")
    email.refresh_from_db()
    assert email.status == "sent"
