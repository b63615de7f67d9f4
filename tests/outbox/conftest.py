from __future__ import annotations

import smtplib
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend

from outbox.services import email_queue

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FlakyBackend(EmailBackend):
    """The SMTP server refuses the first `failures` sends, then accepts."""

    failures = 1
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    FlakyBackend.attempts = 0
    FlakyBackend.failures = 1
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    return FlakyBackend


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def queued(db, frozen):
    """An e-mail written to the outbox whose task has not run (still in the transaction)."""
    return email_queue(
        kind="tests.hello",
        to=["someone@example.com"],
        subject="Hello",
        body="Your link: https://portal.example.net/secret/",
        html="<p>Your link</p>",
    )
