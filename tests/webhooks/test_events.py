"""Where events come from: the audit outbox (written with the change, taken once) and
the periodic checks (ending, expired, silent, over and back within the limit)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditLog, AuditOutbox
from licensing import services as licensing
from proxies import services as proxy_services
from reports.models import ExpiryNotice
from subscriptions import services as subscription_services
from tests import factories
from tests.licensing.factories import Installation
from tests.subscriptions.conftest import proxy_server_create
from tests.webhooks.conftest import endpoint_make
from webhooks import delivery, services
from webhooks.events import CATALOG
from webhooks.models import Attempt, Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db

EVERYTHING = [event.type for event in CATALOG]


@pytest.fixture
def endpoint(alice, company):
    return endpoint_make(company, alice, "https://hooks.example.com/in", types=EVERYTHING)[0]


def bodies(**filters) -> list[dict]:
    return [json.loads(e.body) for e in Event.objects.filter(**filters).order_by("id")]


def test_every_audited_change_becomes_its_event(alice, bob, company, subscription, endpoint):
    key = subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="dynamic", name="Lab"
    )
    subscription_services.subscription_upgrade(
        subscription=subscription, licenses_added=5, actor=None, channel="admin"
    )
    bob_membership = bob.memberships.get(account=company)
    account_services.membership_update(
        membership=bob_membership, actor=alice, role="admin", notes=""
    )
    account_services.membership_block(membership=bob_membership, actor=alice)
    account_services.invitation_create(account=company, actor=alice, emails=["eve@example.com"])

    delivery.events_fan_out()

    assert [b["type"] for b in bodies()] == [
        "sublicense.created",
        "subscription.upgraded",
        "member.role_changed",
        "member.blocked",
        "member.invited",
    ]
    created, upgraded, role, blocked, invited = bodies()
    assert created["data"]["sublicense"]["name"] == "Lab"
    assert key.key not in json.dumps(created)
    assert upgraded["data"]["licenses_added"] == 5
    assert upgraded["data"]["subscription"]["licenses"] == 15
    # What the change was about comes from its audit entry, exactly.
    assert role["data"]["member"]["membership_id"] == bob_membership.pk
    assert (role["data"]["member"]["email"], role["data"]["member"]["role"]) == (
        "bob@example.com",
        "admin",
    )
    assert blocked["data"]["member"]["status"] == "blocked"
    assert invited["data"]["member"]["email"] == "eve@example.com"
    assert Delivery.objects.filter(endpoint=endpoint).count() == 5
    # Taken once: a second run finds nothing.
    assert not AuditOutbox.objects.exists()
    assert delivery.events_fan_out() == []


def test_an_endpoint_gets_only_the_types_it_chose(alice, company, subscription):
    members_only, _ = endpoint_make(company, alice, "https://a.example.com/", ["member.invited"])
    keys_only, _ = endpoint_make(company, alice, "https://b.example.com/", ["sublicense.created"])
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )
    delivery.events_fan_out()
    assert list(Delivery.objects.values_list("endpoint_id", "event__type")) == [
        (keys_only.pk, "sublicense.created")
    ]


def test_a_change_that_rolls_back_leaves_no_event(alice, subscription, endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        subscription_services.sublicense_create(
            subscription=subscription, actor=alice, quota=2, type="reserved"
        )
        raise RuntimeError("the rest of the request failed")
    delivery.events_fan_out()
    assert not Event.objects.exists()
    assert not AuditOutbox.objects.exists()


def test_another_accounts_changes_never_reach_our_endpoint(charlie, other_company, endpoint, alice):
    other = factories.subscription_create(other_company, licenses=3)
    subscription_services.sublicense_create(
        subscription=other, actor=charlie, quota=1, type="reserved"
    )
    delivery.events_fan_out()
    assert not Delivery.objects.exists()


def test_an_offline_file_is_an_event_of_its_own(alice, company, subscription, endpoint):
    subscription.offline_allowed = True
    subscription.save()
    proxy = Installation()
    licensing.offline_request_process(
        proxy.activation(subscription.primary_key.key, method="offline", now=timezone.now()),
        actor=alice,
        account=company,
    )
    delivery.events_fan_out()
    assert [b["type"] for b in bodies()] == ["proxy_server.activated", "offline_file.processed"]
    assert bodies()[1]["data"]["offline_file"] == {"request": "activation"}


def test_the_periodic_check_reports_endings_expiry_and_silence_once(
    alice, company, subscription, endpoint
):
    now = timezone.now()
    today = timezone.localdate(now)
    ending = factories.subscription_create(company, licenses=2, ends_on=today + timedelta(days=7))
    ExpiryNotice.objects.create(
        kind="subscription",
        object_id=ending.pk,
        account=company,
        ends_on=ending.ends_on,
        days_before=7,
        created_at=now,
    )
    expired = factories.subscription_create(
        company, licenses=2, starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=1)
    )
    silent = proxy_server_create(subscription.primary_key, computers=3)
    silent.activated_at = now - timedelta(days=9)
    silent.last_report_at = now - timedelta(days=8)
    silent.save()

    delivery.conditions_check(now=now)
    delivery.conditions_check(now=now + timedelta(minutes=5))  # nothing new

    found = {(b["type"], json.dumps(b["data"], sort_keys=True)) for b in bodies()}
    types = sorted(t for t, _ in found)
    assert types == ["proxy_server.silent", "subscription.ending", "subscription.expired"]
    ending_body = bodies(type="subscription.ending")[0]["data"]
    assert (ending_body["subscription"]["id"], ending_body["days_left"]) == (ending.pk, 7)
    assert bodies(type="subscription.expired")[0]["data"]["subscription"]["id"] == expired.pk
    assert bodies(type="proxy_server.silent")[0]["data"]["proxy_server"]["id"] == silent.pk


def test_going_over_the_limit_and_coming_back_are_one_event_each(
    alice, company, subscription, endpoint
):
    # 10 licenses: a Reserved sublicense holds 5, the primary key's server uses 4 of 5.
    server = proxy_server_create(subscription.primary_key, computers=4)
    key = factories.license_key_create(subscription, quota=5, type="reserved")
    now = timezone.now()
    delivery.conditions_check(now=now)
    assert not Event.objects.exists()

    server.registered_computers = 6
    server.save()
    delivery.conditions_check(now=now)
    delivery.conditions_check(now=now)
    assert [b["type"] for b in bodies()] == ["proxy_server.over_limit"]

    key.quota = 2  # 8 left in the pool: 6 fit again
    key.save()
    delivery.conditions_check(now=now)
    delivery.conditions_check(now=now)
    assert [b["type"] for b in bodies()] == [
        "proxy_server.over_limit",
        "proxy_server.within_limit",
    ]
    assert bodies()[0]["data"]["proxy_server"]["id"] == server.pk


def test_an_endpoint_failing_for_five_days_is_disabled_and_its_admins_told(
    alice, bob, company, endpoint, settings, django_capture_on_commit_callbacks
):
    # Production settings and a loopback address: every attempt is refused, so fails.
    settings.WEBHOOKS_ALLOW_INSECURE = False
    Endpoint.objects.filter(pk=endpoint.pk).update(url="https://127.0.0.1:9/")
    start = timezone.now()
    for days in (0, 2, 4, 5):
        assert Endpoint.objects.get(pk=endpoint.pk).enabled
        with (
            time_machine.travel(start + timedelta(days=days), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.endpoint_test_send(endpoint=endpoint, actor=alice)
    assert Attempt.objects.count() == 4
    assert not Attempt.objects.filter(succeeded=True).exists()

    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert "5 days" in endpoint.disabled_reason
    assert AuditLog.objects.filter(action="webhook_endpoint.disabled", channel="system").exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "https://127.0.0.1:9/" in mail.outbox[0].body
    # Disabled: nothing more is sent, and the pages say why.
    with pytest.raises(services.WebhookError):
        services.endpoint_test_send(endpoint=endpoint, actor=alice)


def test_a_disabled_endpoint_keeps_its_deliveries_and_resumes_when_enabled(
    alice, company, subscription, endpoint
):
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )
    delivery.events_fan_out()
    services.endpoint_update(
        endpoint=endpoint,
        actor=alice,
        url=endpoint.url,
        event_types=endpoint.event_types,
        description="",
        enabled=False,
    )
    # The worker that got it (its claim taken when the event was made) finds it paused.
    later = timezone.now() + delivery.lease_length() * 2
    [(delivery_id, lease)] = delivery.deliveries_claim(now=later)
    assert delivery.delivery_attempt(delivery_id=delivery_id, lease=lease, now=later) is None
    paused = Delivery.objects.get()
    assert (paused.status, paused.next_attempt_at, paused.attempt_count) == ("pending", None, 0)
    assert delivery.deliveries_claim(now=later) == []

    services.endpoint_update(
        endpoint=endpoint,
        actor=alice,
        url=endpoint.url,
        event_types=endpoint.event_types,
        description="",
        enabled=True,
    )
    assert [c[0] for c in delivery.deliveries_claim(now=later)] == [paused.pk]


def test_a_deactivation_and_a_removal_are_events_too(alice, bob, company, subscription, endpoint):
    proxy = Installation()
    licensing.license_activate(
        proxy.activation(subscription.primary_key.key, now=timezone.now()), channel="online"
    )
    server = company.proxy_servers.get()
    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice)
    account_services.membership_delete(membership=bob.memberships.get(account=company), actor=alice)

    delivery.events_fan_out()

    _, deactivated, removed = bodies()
    assert [b["type"] for b in bodies()] == [
        "proxy_server.activated",
        "proxy_server.deactivated",
        "member.removed",
    ]
    assert deactivated["data"]["proxy_server"]["status"] == "deactivated"
    assert deactivated["data"]["reason"] == "administrator"
    # The membership is gone; the event still says who left, from the audit entry.
    member = removed["data"]["member"]
    assert (member["email"], member["role"], member["status"]) == (
        "bob@example.com",
        "member",
        "removed",
    )
    assert isinstance(member["membership_id"], int)


def test_old_events_are_forgotten_unless_still_being_retried(alice, company, endpoint, settings):
    settings.WEBHOOKS_RETENTION_DAYS = 30
    now = timezone.now()
    for name, status in (("old-delivered", "delivered"), ("old-pending", "pending")):
        event = company.webhook_events.create(
            public_id=name, type="member.blocked", occurred_at=now, body="{}", ordering_key=name
        )
        endpoint.deliveries.create(event=event, ordering_key=name, status=status)
    Event.objects.update(created_at=now - timedelta(days=31))
    recent = company.webhook_events.create(
        public_id="recent", type="member.blocked", occurred_at=now, body="{}", ordering_key="r"
    )
    endpoint.deliveries.create(event=recent, ordering_key="r", status="failed")

    assert delivery.events_purge(now=now) == 1
    assert sorted(Event.objects.values_list("public_id", flat=True)) == ["old-pending", "recent"]
    assert Delivery.objects.count() == 2


def test_an_event_that_fails_to_build_is_tried_again_not_lost(
    alice, subscription, endpoint, monkeypatch
):
    real_build = services.events.build_from_audit
    failures = []

    def failing_once(entry, type):
        if not failures:
            failures.append(type)
            raise RuntimeError("a bug in building one event")
        return real_build(entry, type)

    monkeypatch.setattr(services.events, "build_from_audit", failing_once)
    subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved"
    )

    delivery.events_fan_out()
    assert not Event.objects.exists()
    assert AuditOutbox.objects.count() == 1  # handed back, not lost

    delivery.events_fan_out()
    assert list(Event.objects.values_list("type", flat=True)) == failures
    assert not AuditOutbox.objects.exists()
    delivery.events_fan_out()
    assert Event.objects.count() == 1  # made once


def test_events_describe_the_object_as_each_change_left_it(alice, subscription, endpoint):
    # A key created as "ephemeral" and renamed at once, then renamed five more times
    # within a second: the events are made later, from the audit outbox, and still
    # carry each state, not the last.
    key = subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved", name="ephemeral"
    )
    names = ["renamed", "second", "third", "fourth", "fifth", "sixth"]
    for number, name in enumerate(names):
        subscription_services.sublicense_update(
            license_key=key,
            actor=alice,
            quota=2 + number,
            type="reserved",
            name=name,
            renew_with_subscription=True,
        )

    delivery.events_fan_out()

    sent = bodies()
    assert [b["type"] for b in sent] == ["sublicense.created"] + ["sublicense.changed"] * 6
    assert [b["data"]["sublicense"]["name"] for b in sent] == ["ephemeral", *names]
    assert [b["data"]["sublicense"]["quota"] for b in sent] == [2, 2, 3, 4, 5, 6, 7]
    assert [b["data"]["changes"]["name"]["to"] for b in sent[1:]] == names
    assert all(b["data"]["sublicense"]["id"] == key.pk for b in sent)
    assert key.key not in json.dumps(sent)  # still masked


def test_an_audit_entry_keeps_no_secret_of_its_target(alice, company):
    endpoint_make(company, alice, "https://hooks.example.com/in")
    entry = AuditLog.objects.get(action="webhook_endpoint.created")
    assert entry.state["fields"]["url"] == "https://hooks.example.com/in"
    assert not {"secret", "previous_secret"} & set(entry.state["fields"])
