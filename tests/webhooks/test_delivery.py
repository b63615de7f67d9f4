"""Deliveries to real receivers on loopback, verified with the standardwebhooks library.

These run as in production: transactions commit, tasks run after commit (in-process,
as Celery does with no broker), and each "worker" is a thread of its own.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from licensing import services as licensing
from proxies import services as proxy_services
from subscriptions import services as subscription_services
from tests.waiting import wait_until
from tests.webhooks.conftest import endpoint_make, tls_files
from webhooks import services
from webhooks.models import Attempt, Delivery
from webhooks.tasks import webhooks_sweep_task

pytestmark = pytest.mark.django_db(transaction=True)


def activate(proxy, license_key) -> None:
    licensing.license_activate(
        proxy.activation(license_key.key, now=timezone.now()), channel="online"
    )


def test_events_arrive_signed_in_order_and_once(alice, subscription, proxy, receiver):
    endpoint, secret = endpoint_make(subscription.account, alice, receiver.url)
    activate(proxy, subscription.primary_key)
    key = subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved", name="Branch"
    )
    subscription_services.sublicense_update(
        license_key=key,
        actor=alice,
        quota=3,
        type="reserved",
        name="Branch office",
        renew_with_subscription=True,
    )
    proxy_services.sublicense_delete(license_key=key, actor=alice)

    webhooks_sweep_task()
    webhooks_sweep_task()  # a second run sends nothing again

    events = receiver.events(secret)
    assert len(events) == len(receiver.received) == 4  # every one verifies
    assert [e["type"] for e in events] == [
        "proxy_server.activated",
        "sublicense.created",
        "sublicense.changed",
        "sublicense.deleted",
    ]
    assert len({e["id"] for e in events}) == 4
    assert [r.headers["webhook-id"] for r in receiver.received] == [e["id"] for e in events]
    activated = events[0]
    assert activated["account"] == {"id": subscription.account.pk, "name": "My Company, Inc."}
    server = activated["data"]["proxy_server"]
    assert server["server_name"] == "pmm.alice.example"
    # Masked exactly as Regular Members see keys: never the whole key.
    assert subscription.primary_key.key not in receiver.received[0].body.decode()
    assert server["license_key"].endswith(subscription.primary_key.key[-5:])
    assert events[2]["data"]["changes"]["quota"] == {"from": 2, "to": 3}
    assert events[3]["data"]["sublicense"]["deleted"] is True
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_receiver_that_fails_three_times_gets_the_event_on_the_fourth_attempt(
    alice, subscription, receiver_factory
):
    receiver = receiver_factory(answers=[500, 500, 500, 200])
    endpoint, secret = endpoint_make(subscription.account, alice, receiver.url)
    delivery = services.endpoint_test_send(endpoint=endpoint, actor=alice)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("pending", 1)

    for hours in (1, 2, 3):
        # Not due yet: nothing is sent before the backoff has passed.
        webhooks_sweep_task()
        assert len(receiver.received) == hours
        with time_machine.travel(timezone.now() + timedelta(hours=hours), tick=True):
            webhooks_sweep_task()
            # Each attempt is signed afresh (webhook-timestamp is the attempt's time).
            assert receiver.received[-1].verifies_with(secret)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("delivered", 4)
    assert [a.status_code for a in delivery.attempts.order_by("started_at")] == [500] * 3 + [200]
    assert len(receiver.received) == 4
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.event.public_id}
    # The log keeps the first 2 KB of each answer, however long it was.
    assert all(len(a.response_body) == 2048 for a in Attempt.objects.all())


def test_the_retries_back_off_exponentially_with_jitter():
    pauses = [services.backoff(n).total_seconds() for n in range(1, 15)]
    for n, pause in enumerate(pauses, start=1):
        ceiling = min(10 * 2 ** (n - 1), 6 * 3600)
        assert ceiling / 2 <= pause <= ceiling


def test_a_receiver_that_hangs_does_not_delay_another_endpoint(
    alice, subscription, receiver_factory, settings
):
    # The slow receiver sits on its request until the test lets it go, well inside the
    # portal's timeout: what counts is the order of events, never how long they took.
    settings.WEBHOOKS_TIMEOUT_SECONDS = 60
    slow = receiver_factory(answers=[503, "hang"])
    fast = receiver_factory(answers=[503, 200])
    slow_endpoint, _ = endpoint_make(subscription.account, alice, slow.url)
    fast_endpoint, fast_secret = endpoint_make(subscription.account, alice, fast.url)
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )
    webhooks_sweep_task()  # both answer 503 at once: two deliveries wait for a retry
    assert (len(slow.received), len(fast.received)) == (1, 1)

    later = timezone.now() + timedelta(hours=1)
    slow_delivery = Delivery.objects.get(endpoint=slow_endpoint)
    fast_delivery = Delivery.objects.get(endpoint=fast_endpoint)

    # Two workers, one delivery each, as Celery hands them out.
    def slow_worker():
        services.deliveries_enqueue(now=later, ids=[slow_delivery.pk])
        connection.close()

    worker = threading.Thread(target=slow_worker)
    worker.start()
    try:
        wait_until(lambda: len(slow.received) == 2, what="request held by the slow receiver")
        services.deliveries_enqueue(now=later, ids=[fast_delivery.pk])
        # The fast endpoint has its event while the slow one still holds its request.
        assert worker.is_alive()
        assert fast.events(fast_secret)[-1]["type"] == "sublicense.created"
        fast_delivery.refresh_from_db()
        assert fast_delivery.status == "delivered"
    finally:
        slow.release.set()
        worker.join(timeout=60)
    assert not worker.is_alive()
    slow_delivery.refresh_from_db()
    assert slow_delivery.status == "delivered"  # it answered once let go, within the timeout


def test_a_receiver_that_does_not_answer_in_time_is_cut_off(alice, subscription, receiver):
    # WEBHOOKS_TIMEOUT_SECONDS is 1 here (conftest; 10 s in production). The receiver sits
    # on the request until the test is over: the timeout is what ends the attempt.
    receiver.answers = ["hang"]
    endpoint, _ = endpoint_make(subscription.account, alice, receiver.url)
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )
    webhooks_sweep_task()

    assert len(receiver.received) == 1
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending"  # failed: tried again later
    assert delivery.attempts.get().error.startswith("No answer")


def test_a_rotated_secret_verifies_with_both_during_the_overlap(alice, subscription, receiver):
    endpoint, old_secret = endpoint_make(subscription.account, alice, receiver.url)
    new_secret = services.endpoint_secret_rotate(endpoint=endpoint, actor=alice).secret
    assert new_secret != old_secret

    services.endpoint_test_send(endpoint=endpoint, actor=alice)
    during = receiver.received[-1]
    assert during.verifies_with(old_secret) and during.verifies_with(new_secret)
    assert len(during.headers["webhook-signature"].split(" ")) == 2

    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=True):
        services.endpoint_test_send(endpoint=endpoint, actor=alice)
        after = receiver.received[-1]
        assert after.verifies_with(new_secret)
        assert not after.verifies_with(old_secret)


def test_two_workers_claiming_at_once_send_a_delivery_once(alice, subscription, receiver):
    endpoint, _ = endpoint_make(subscription.account, alice, receiver.url)
    delivery = services.endpoint_test_send(endpoint=endpoint, actor=alice)
    # The scene: the delivery is due again and nobody holds it.
    Delivery.objects.filter(pk=delivery.pk).update(
        status="pending", leased_until=None, next_attempt_at=timezone.now()
    )

    claims: list = []
    barrier = threading.Barrier(4)

    def claim():
        barrier.wait()
        claims.append(services.deliveries_claim(ids=[delivery.pk]))
        connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(c) for c in claims) == [0, 0, 0, 1]


def test_an_https_receiver_gets_the_event_over_verified_tls(
    alice, subscription, receiver_factory, tmp_path, monkeypatch
):
    # The portal connects to the address it checked, and still verifies the
    # certificate for the host name of the URL (SNI), against the trusted CAs.
    ca, cert, key = tls_files(tmp_path, host="localhost")
    monkeypatch.setenv("SSL_CERT_FILE", ca)
    receiver = receiver_factory(tls=(cert, key))
    endpoint, secret = endpoint_make(
        subscription.account, alice, f"https://localhost:{receiver.port}/hooks"
    )
    services.endpoint_test_send(endpoint=endpoint, actor=alice)

    assert Delivery.objects.get().status == "delivered"
    [received] = receiver.received
    assert received.verifies_with(secret)
    assert received.headers["host"] == f"localhost:{receiver.port}"


def test_a_certificate_that_does_not_name_the_host_is_a_failed_attempt(
    alice, subscription, receiver_factory, tmp_path, monkeypatch
):
    ca, cert, key = tls_files(tmp_path, host="elsewhere.example")
    monkeypatch.setenv("SSL_CERT_FILE", ca)
    receiver = receiver_factory(tls=(cert, key))
    endpoint, _ = endpoint_make(
        subscription.account, alice, f"https://localhost:{receiver.port}/hooks"
    )
    services.endpoint_test_send(endpoint=endpoint, actor=alice)

    attempt = Attempt.objects.get()
    assert not attempt.succeeded and attempt.error.startswith("No answer")
    assert receiver.received == []


def test_a_later_event_of_the_same_object_waits_for_the_earlier_one(
    alice, subscription, receiver_factory
):
    receiver = receiver_factory(answers=[500])
    endpoint, secret = endpoint_make(subscription.account, alice, receiver.url)
    key = subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved", name="Branch"
    )
    subscription_services.sublicense_update(
        license_key=key,
        actor=alice,
        quota=3,
        type="reserved",
        name="Branch",
        renew_with_subscription=True,
    )
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=1, type="reserved", name="Lab"
    )
    webhooks_sweep_task()
    # "Branch created" failed; "Branch changed" waits behind it; "Lab created" (another
    # object) does not.
    assert [
        (r.event["type"], r.event["data"]["sublicense"]["name"]) for r in receiver.received
    ] == [
        ("sublicense.created", "Branch"),
        ("sublicense.created", "Lab"),
    ]

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
        webhooks_sweep_task()
        assert all(r.verifies_with(secret) for r in receiver.received[2:])
    assert [r.event["type"] for r in receiver.received[2:]] == [
        "sublicense.created",
        "sublicense.changed",
    ]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
