"""Deliveries to real receivers on loopback, verified with the standardwebhooks library.

These run as in production: transactions commit, tasks run after commit (in-process,
as Celery does with no broker), and each "worker" is a thread of its own.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from licensing import services as licensing
from proxies import services as proxy_services
from subscriptions import services as subscription_services
from tests.waiting import wait_until  # noqa: E402
from tests.webhooks.conftest import endpoint_make, tls_files
from webhooks import delivery, services, tasks
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
    pauses = [delivery.backoff(n).total_seconds() for n in range(1, 15)]
    for n, pause in enumerate(pauses, start=1):
        ceiling = min(10 * 2 ** (n - 1), 6 * 3600)
        assert ceiling / 2 <= pause <= ceiling


def test_a_receiver_that_hangs_does_not_delay_another_endpoint(
    alice, subscription, receiver_factory
):
    slow = receiver_factory(answers=[503, "hang"], hang_seconds=3)
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
        tasks.deliveries_enqueue(now=later, ids=[slow_delivery.pk])
        connection.close()

    worker = threading.Thread(target=slow_worker)
    worker.start()
    # The slow receiver has the request and sits on it.
    wait_until(lambda: len(slow.received) >= 2, what="the slow receiver's second request")
    tasks.deliveries_enqueue(now=later, ids=[fast_delivery.pk])
    assert worker.is_alive()  # the fast one was served while the slow one still waits
    worker.join()

    assert fast.events(fast_secret)[-1]["type"] == "sublicense.created"
    fast_delivery.refresh_from_db()
    slow_delivery.refresh_from_db()
    assert fast_delivery.status == "delivered"
    # The deadline (1 s in tests, 10 s in production) ended the slow attempt: failed.
    assert slow_delivery.status == "pending"
    assert (
        slow_delivery.attempts.order_by("-started_at")
        .first()
        .error.startswith("No complete answer within 1 seconds")
    )


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
    sent = services.endpoint_test_send(endpoint=endpoint, actor=alice)
    # The scene: the delivery is due again and nobody holds it.
    Delivery.objects.filter(pk=sent.pk).update(
        status="pending", leased_until=None, next_attempt_at=timezone.now()
    )

    claims: list = []
    barrier = threading.Barrier(4)

    def claim():
        barrier.wait()
        claims.append(delivery.deliveries_claim(ids=[sent.pk]))
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


def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_deadline(
    alice, subscription, drip
):
    # The deadline is 1 s here (10 s in production); the drip would take 50 s to
    # answer, and each byte comes well within a per-read timeout of that second.
    drip.interval = 0.5
    endpoint, _ = endpoint_make(subscription.account, alice, drip.url)
    delivery = services.endpoint_test_send(endpoint=endpoint, actor=alice)

    # The socket was closed under the receiver before its answer was out.
    assert drip.hung_up.wait(timeout=30)
    assert not drip.finished.is_set()
    assert drip.sent < len(drip.ANSWER) // 4
    attempt = Attempt.objects.get()
    assert not attempt.succeeded
    assert attempt.error == "No complete answer within 1 seconds: the connection was closed."
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("pending", 1)  # retried later


def test_the_claim_outlives_the_deadline(alice, subscription, receiver, settings):
    endpoint, _ = endpoint_make(subscription.account, alice, receiver.url)
    sent = services.endpoint_test_send(endpoint=endpoint, actor=alice)
    Delivery.objects.filter(pk=sent.pk).update(
        status="pending", leased_until=None, next_attempt_at=timezone.now()
    )
    settings.WEBHOOKS_TIMEOUT_SECONDS = 600
    now = timezone.now()
    [(_, lease)] = delivery.deliveries_claim(now=now)
    # Claimed for longer than a POST may take: nobody claims it again mid-send.
    assert (timezone.datetime.fromisoformat(lease) - now).total_seconds() > 600


@pytest.mark.parametrize(
    "answer, stored",
    [
        (b'{"ok": true}\x00after the NUL', '{"ok": true}\ufffdafter the NUL'),
        (b"caf\xe9 \xff\xfe\x00", "caf\ufffd \ufffd\ufffd\ufffd"),
        (b"\x00" * 3000, "\ufffd" * 2048),
    ],
    ids=["NUL", "invalid UTF-8", "only NULs, beyond the excerpt"],
)
def test_whatever_a_receiver_answers_is_stored_as_data(
    alice, subscription, receiver_factory, answer, stored
):
    receiver = receiver_factory(answers=[("body", 200, answer)])
    endpoint, _ = endpoint_make(subscription.account, alice, receiver.url)
    delivery = services.endpoint_test_send(endpoint=endpoint, actor=alice)

    attempt = Attempt.objects.get()
    assert attempt.response_body == stored
    assert attempt.succeeded
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("delivered", 1)
    webhooks_sweep_task()
    assert len(receiver.received) == 1  # delivered once, never again


def test_a_delivery_whose_attempt_cannot_be_recorded_fails_and_is_counted(
    alice, subscription, receiver_factory
):
    receiver = receiver_factory(answers=[500, 500, 500])
    endpoint, _ = endpoint_make(subscription.account, alice, receiver.url)
    # The log refuses every attempt, as Postgres refused the NUL before it was cleaned:
    # whatever the reason, the delivery must not be sent again and again.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_attempt() RETURNS trigger AS "
            "$$ BEGIN RAISE EXCEPTION 'the log refuses this attempt'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_attempt BEFORE INSERT ON webhooks_attempt "
            "FOR EACH ROW EXECUTE FUNCTION refuse_attempt()"
        )
    try:
        delivery = services.endpoint_test_send(endpoint=endpoint, actor=alice)
        with time_machine.travel(timezone.now() + timedelta(hours=7), tick=True):
            webhooks_sweep_task()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_attempt ON webhooks_attempt")
            cursor.execute("DROP FUNCTION refuse_attempt()")

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("failed", 1)
    assert delivery.leased_until is None and delivery.next_attempt_at is None
    assert len(receiver.received) == 1
    assert not Attempt.objects.exists()


def test_recording_an_attempt_waits_for_no_lock_on_the_account(
    alice, subscription, receiver_factory
):
    # The worker locks only what it changes (the endpoint's failure record, the
    # delivery): an administrator's change holding the account row, as every one
    # does (account → subscription → key → installation), neither waits for it nor
    # deadlocks with it.
    receiver = receiver_factory(answers=[500, 200])
    endpoint, _ = endpoint_make(subscription.account, alice, receiver.url)
    sent = services.endpoint_test_send(endpoint=endpoint, actor=alice)
    holding, release = threading.Event(), threading.Event()

    def administrator():
        with transaction.atomic():
            Account.objects.select_for_update().get(pk=subscription.account_id)
            holding.set()
            release.wait(timeout=30)
        connection.close()

    holder = threading.Thread(target=administrator)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
            tasks.deliveries_enqueue(ids=[sent.pk])
        # Recorded while the account row was still held.
        assert holder.is_alive()
        sent.refresh_from_db()
        assert (sent.status, sent.attempt_count) == ("delivered", 2)
    finally:
        release.set()
        holder.join()
