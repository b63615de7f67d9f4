"""The zero-setup portal's Celery worker and beat work as in production: the demo's
webhook endpoint gets a real signed delivery at the loopback receiver that `make run`
starts, and last week's usage report is built and e-mailed by the worker (the demo
data leaves that week to it)."""

from __future__ import annotations

import json

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

WAIT_SECONDS = 90  # a cold worker on a busy 2-core machine


def _await(condition, what: str, portal) -> None:
    wait_until(
        condition,
        what=what,
        timeout=WAIT_SECONDS,
        details=lambda: portal.log_text()[-3000:],
    )


def test_the_worker_delivers_a_signed_webhook_to_the_loopback_receiver(portal):
    received = portal.run_dir / "webhooks.jsonl"

    def deliveries() -> list[dict]:
        if not received.exists():
            return []
        return [json.loads(line) for line in received.read_text().splitlines() if line]

    _await(lambda: any(d["type"] == "webhook.test" for d in deliveries()), "A delivery", portal)
    delivery = next(d for d in deliveries() if d["type"] == "webhook.test")
    assert delivery["signed"] and delivery["webhook_id"].startswith("evt_")
    assert json.loads(delivery["body"])["type"] == "webhook.test"


def test_the_worker_emails_last_weeks_usage_report(portal):
    # The subject names the portal (SITE_NAME, "My Account" by default) and the account.
    subject = "Subject: [My Account] Weekly usage report for My Company, Inc."
    _await(lambda: subject in portal.log_text(), "The weekly report e-mail", portal)
    mail = portal.log_text().split(subject, 1)[1]
    assert "To: demo@example.com" in mail[:400]
    # SITE_URL followed the port the portal was started on: the e-mail links there.
    assert f"{portal.url}/usage-reports/" in mail
