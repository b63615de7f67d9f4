"""With the broker down, webhook work waits in the database: the page still answers, and
the delivery goes out once the broker is back and the sweep runs (issue 12, item 3)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.webhooks.conftest import endpoint_make
from webhooks import tasks
from webhooks.delivery import lease_length
from webhooks.models import Delivery


def test_send_test_event_with_the_broker_down_answers_and_is_delivered_later(
    alice, alice_client, company, receiver, broker_down, django_capture_on_commit_callbacks
):
    endpoint, secret = endpoint_make(company, alice, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("webhook_endpoint_test", args=[endpoint.pk]))

    assert response.status_code == 302
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.status == Delivery.Status.PENDING
    assert receiver.events(secret) == []

    broker_down.back()
    with (
        time_machine.travel(timezone.now() + lease_length() + timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.webhooks_sweep_task.delay()

    [event] = receiver.events(secret)
    assert event["type"] == "webhook.test"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
