"""Events and their deliveries: made from the audit outbox and the periodic checks,
claimed, sent, recorded and retried. What the Celery tasks (webhooks/tasks.py) run;
the endpoints' own operations are in webhooks/services.py.

Events come from one source written in the same transaction as the change they
report: the audit log's outbox (accounts.AuditOutbox). `events_fan_out` takes its
rows, makes the events the catalog names and one Delivery per endpoint that wants
each, all in one transaction: a taken entry has its deliveries, or it was not taken.
An event's `data` is the object as the change left it: the audit entry's snapshot
(AuditLog.state), not the row as it is when the event is made.

Deliveries are sent by `delivery_attempt`, one Celery task per delivery, outside any
transaction, on the `webhooks` queue (its own worker pool: a slow receiver never
holds a worker that sends e-mail). It claims the delivery with a conditional UPDATE
(a lease longer than a POST may take, `lease_length`), so two workers never send one
at the same time, and only the oldest undelivered event of one object per endpoint
is claimable, so an endpoint receives an object's events in order. A failure is
retried with exponential backoff and jitter for three days; an endpoint whose every
attempt failed for five days is disabled and its administrators are e-mailed.
Whatever a receiver answers is data: an attempt that cannot be recorded still counts,
and fails the delivery rather than sending it again for ever.

Locks, in the portal's order (account → subscription → key → installation), taken
here only on webhook rows of their own (endpoint, delivery) or, for the limit
transitions, on the account row first; never the account after an endpoint.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop
from standardwebhooks.webhooks import Webhook

from accounts.models import Account, AuditLog, AuditOutbox, User
from accounts.services import audit_log_record, audit_outbox_take
from outbox.delivery import backoff_pause
from proxies.models import ProxyServer
from proxies.selectors import proxy_servers_over_limit
from reports.models import ExpiryNotice
from reports.services import STALE_AFTER
from subscriptions.models import Subscription, subscription_expired_q
from webhooks import emails, events, network
from webhooks.models import Attempt, Delivery, Endpoint, Event

logger = logging.getLogger(__name__)

RETRY_FOR = timedelta(days=3)
DISABLE_AFTER = timedelta(days=5)
BACKOFF_FIRST = timedelta(seconds=10)
BACKOFF_MAX = timedelta(hours=6)
# Expiry notices and endings older than this are history, not news, for a new endpoint.
RECENT = timedelta(days=2)


def lease_length() -> timedelta:
    """How long a claim holds a delivery: well beyond the POST's total deadline
    (WEBHOOKS_TIMEOUT_SECONDS, network.post), so that a delivery is never claimed again
    while it is being sent, and a worker that died mid-send gives it up after this."""
    return timedelta(seconds=2 * settings.WEBHOOKS_TIMEOUT_SECONDS + 40)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def endpoint_audit(
    endpoint: Endpoint, action: str, *, actor: User | None, channel: str, **data
) -> None:
    """The audit entry of a change to an endpoint, named by its URL."""
    audit_log_record(
        account=endpoint.account,
        actor=actor,
        channel=channel,
        action=action,
        target=endpoint,
        target_label=endpoint.url,
        data=data,
    )


# --- events -----------------------------------------------------------------------------------


def event_public_id() -> str:
    """An event's id: also its webhook-id header, the same on every attempt."""
    return f"evt_{uuid.uuid4().hex}"


def event_create(
    *,
    account: Account,
    type: str,
    data: dict,
    ordering_key: str,
    occurred_at: datetime,
    public_id: str | None = None,
    audit_entry: AuditLog | None = None,
    dedupe_key: str | None = None,
) -> Event:
    public_id = public_id or event_public_id()
    body = events.envelope(
        public_id=public_id, type=type, occurred_at=occurred_at, account=account, data=data
    )
    return Event.objects.create(
        public_id=public_id,
        account=account,
        type=type,
        occurred_at=occurred_at,
        body=_json(body),
        ordering_key=ordering_key,
        audit_entry=audit_entry,
        dedupe_key=dedupe_key,
    )


def _json(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=False)


def _endpoints_by_account(account_ids: Iterable[int]) -> dict[int, list[Endpoint]]:
    found: dict[int, list[Endpoint]] = defaultdict(list)
    for endpoint in Endpoint.objects.filter(account_id__in=set(account_ids), enabled=True):
        found[endpoint.account_id].append(endpoint)
    return found


def _deliveries_create(event: Event, endpoints: list[Endpoint], *, now: datetime) -> list[int]:
    created = Delivery.objects.bulk_create(
        [
            Delivery(
                endpoint=endpoint,
                event=event,
                ordering_key=event.ordering_key,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ]
    )
    return [delivery.pk for delivery in created]


def events_fan_out(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Turn the audit entries not yet taken into events and deliveries; returns the
    ids of the new deliveries, due at once (the sweep's task claims and sends them)."""
    now = _now(now)
    with transaction.atomic():
        entries = audit_outbox_take(limit=limit)
        endpoints = _endpoints_by_account(entry.account_id for entry in entries)
        delivery_ids: list[int] = []
        retry: set[int] = set()
        # An entry handed back after a failure keeps the events it already made.
        made = set(
            Event.objects.filter(audit_entry__in=entries).values_list("audit_entry_id", "type")
        )
        for entry in entries:
            for type in events.audit_event_types(entry):
                if (entry.pk, type) in made:
                    continue
                # What happened before an endpoint was connected is not its news.
                wanting = [
                    e
                    for e in endpoints.get(entry.account_id, [])
                    if type in e.event_types and e.created_at <= entry.created_at
                ]
                if not wanting:
                    continue
                try:
                    with transaction.atomic():
                        built = events.build_from_audit(entry, type)
                        if built is None:
                            continue
                        event = event_create(
                            account=entry.account,
                            type=type,
                            data=built.data,
                            ordering_key=built.ordering_key,
                            occurred_at=entry.created_at,
                            audit_entry=entry,
                        )
                        delivery_ids += _deliveries_create(event, wanting, now=now)
                except Exception:
                    # A bug in one event must not hold up every account's webhooks
                    # behind it: say so loudly, go on with the others, and hand the
                    # entry back to the outbox so the next sweep tries it again — an
                    # event is late, never lost.
                    logger.exception("Webhook event %s of audit entry %s failed", type, entry.pk)
                    retry.add(entry.pk)
        AuditOutbox.objects.bulk_create(
            [AuditOutbox(entry_id=entry_id) for entry_id in sorted(retry)],
            ignore_conflicts=True,
        )
    return delivery_ids


def _condition_event(
    *,
    account: Account,
    endpoints: list[Endpoint],
    type: str,
    data: dict,
    ordering_key: str,
    now: datetime,
    dedupe_key: str | None,
) -> list[int]:
    wanting = [e for e in endpoints if type in e.event_types]
    if not wanting:
        return []
    try:
        with transaction.atomic():
            event = event_create(
                account=account,
                type=type,
                data=data,
                ordering_key=ordering_key,
                occurred_at=now,
                dedupe_key=dedupe_key,
            )
            ids = _deliveries_create(event, wanting, now=now)
    except IntegrityError:  # another run made this one already
        return []
    return ids


def conditions_check(*, now: datetime | None = None) -> list[int]:
    """The events no audit entry records, for accounts with enabled endpoints: a
    subscription ending in 30/7/1 days (the reports app's expiry notices) or expired,
    a proxy server silent for more than 7 days (the weekly report's rule), going over
    the license limit or coming back within it. Each is made once (a dedupe key, or
    the last over/within event of the server under the account's lock); returns the
    ids of the new deliveries, due at once."""
    now = _now(now)
    today = timezone.localdate(now)
    endpoints = _endpoints_by_account(
        Endpoint.objects.filter(enabled=True).values_list("account_id", flat=True)
    )
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=endpoints)}
    created: list[int] = []

    def emit(account_id: int, type: str, data: dict, ordering_key: str, dedupe_key: str) -> None:
        created.extend(
            _condition_event(
                account=accounts[account_id],
                endpoints=endpoints[account_id],
                type=type,
                data=data,
                ordering_key=ordering_key,
                now=now,
                dedupe_key=dedupe_key,
            )
        )

    notices = list(
        ExpiryNotice.objects.filter(
            account_id__in=accounts,
            kind=ExpiryNotice.Kind.SUBSCRIPTION,
            created_at__gte=now - RECENT,
            ends_on__gte=today,
        ).order_by("id")
    )
    ending = Subscription.objects.select_related("product").in_bulk(
        [notice.object_id for notice in notices]
    )
    for notice in notices:
        subscription = ending.get(notice.object_id)
        if subscription is None or subscription.ends_on != notice.ends_on:
            continue  # renewed since: the notice is stale
        emit(
            notice.account_id,
            "subscription.ending",
            {
                "subscription": events.subscription_data(subscription),
                "days_left": notice.days_before,
            },
            f"subscription:{subscription.pk}",
            f"expiry_notice:{notice.pk}",
        )
    for subscription in Subscription.objects.select_related("product").filter(
        subscription_expired_q(today), account_id__in=accounts, ends_on__gte=today - RECENT
    ):
        emit(
            subscription.account_id,
            "subscription.expired",
            {"subscription": events.subscription_data(subscription)},
            f"subscription:{subscription.pk}",
            f"subscription.expired:{subscription.pk}:{subscription.ends_on}",
        )
    holding = ProxyServer.objects.select_related("license_key", "account").filter(
        account_id__in=accounts, status__in=ProxyServer.HOLDING_STATUSES
    )
    for proxy in holding.annotate(heard=Coalesce("last_report_at", "activated_at")).filter(
        heard__lt=now - STALE_AFTER
    ):
        emit(
            proxy.account_id,
            "proxy_server.silent",
            {"proxy_server": events.proxy_server_data(proxy)},
            f"proxy_server:{proxy.pk}",
            f"proxy_server.silent:{proxy.pk}:{proxy.heard.isoformat()}",
        )
    for account_id, account in accounts.items():
        created += _limit_transitions(
            account=account,
            endpoints=endpoints[account_id],
            servers=[proxy for proxy in holding if proxy.account_id == account_id],
            now=now,
        )
    return created


LIMIT_TYPES = ("proxy_server.over_limit", "proxy_server.within_limit")


def _limit_transitions(
    *, account: Account, endpoints: list[Endpoint], servers: list[ProxyServer], now: datetime
) -> list[int]:
    if not any(type in e.event_types for e in endpoints for type in LIMIT_TYPES):
        return []
    created: list[int] = []
    with transaction.atomic():
        # One check per account at a time: the last event decides the next one.
        Account.objects.select_for_update(no_key=True).filter(pk=account.pk).first()
        over = proxy_servers_over_limit(servers, today=timezone.localdate(now))
        last: dict[str, str] = {}
        for ordering_key, type in (
            Event.objects.filter(account=account, type__in=LIMIT_TYPES)
            .order_by("ordering_key", "-id")
            .values_list("ordering_key", "type")
        ):
            last.setdefault(ordering_key, type)
        for proxy in over:
            key = f"proxy_server:{proxy.pk}"
            was_over = last.get(key) == "proxy_server.over_limit"
            if proxy.over_limit == was_over or (not proxy.over_limit and key not in last):
                continue
            created += _condition_event(
                account=account,
                endpoints=endpoints,
                type=LIMIT_TYPES[0] if proxy.over_limit else LIMIT_TYPES[1],
                data={"proxy_server": events.proxy_server_data(proxy)},
                ordering_key=key,
                now=now,
                dedupe_key=None,
            )
    return created


# --- deliveries -------------------------------------------------------------------------------


def _claimable(now: datetime):
    earlier = Delivery.objects.filter(
        endpoint=OuterRef("endpoint"),
        ordering_key=OuterRef("ordering_key"),
        status=Delivery.Status.PENDING,
        id__lt=OuterRef("id"),
    )
    return (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(leased_until=None) | Q(leased_until__lt=now))
        .exclude(Exists(earlier))
    )


def deliveries_claim(
    *, now: datetime | None = None, ids: Iterable[int] | None = None, limit: int = 1000
) -> list[tuple[int, str]]:
    """Claim the deliveries whose next attempt is due (among `ids`, when given): the
    oldest pending one of each object per endpoint (later ones wait their turn), not
    claimed by anyone else. The claim is a lease written by a conditional UPDATE,
    handed to the task that sends it; rows another worker is claiming are skipped.
    Returns (delivery id, lease) pairs."""
    now = _now(now)
    lease = now + lease_length()
    with transaction.atomic():
        due = _claimable(now)
        if ids is not None:
            due = due.filter(pk__in=list(ids))
        claimed = list(
            due.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=claimed).filter(
            Q(leased_until=None) | Q(leased_until__lt=now)
        ).update(leased_until=lease)
    return [(delivery_id, lease.isoformat()) for delivery_id in claimed]


def backoff(attempts: int) -> timedelta:
    """Pause after the `attempts`-th failure: doubling from 10 s up to 6 h, with jitter
    (between half and all of it) so that receivers coming back are not stampeded."""
    return backoff_pause(attempts, first=BACKOFF_FIRST, most=BACKOFF_MAX, jitter=True)


def signature_headers(*, endpoint: Endpoint, event: Event, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation's overlap, a signature per secret."""
    signatures = [
        Webhook(secret).sign(msg_id=event.public_id, timestamp=now, data=event.body)
        for secret in endpoint.signing_secrets(now=now)
    ]
    return {
        "webhook-id": event.public_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def delivery_attempt(
    *, delivery_id: int, lease: str, now: datetime | None = None
) -> Attempt | None:
    """Send a claimed delivery once and record the attempt; None when the claim is no
    longer this task's (it expired and another worker took the delivery)."""
    now = _now(now)
    renewed = now + lease_length()
    held = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, leased_until=datetime.fromisoformat(lease)
    ).update(leased_until=renewed)
    if not held:
        return None
    delivery = Delivery.objects.select_related("endpoint__account", "event").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        # Kept, paused: enabling the endpoint again resumes it.
        Delivery.objects.filter(pk=delivery_id, leased_until=renewed).update(
            leased_until=None, next_attempt_at=None
        )
        return None
    headers = signature_headers(endpoint=endpoint, event=delivery.event, now=now)
    answer = network.post(endpoint.url, body=delivery.event.body.encode(), headers=headers)
    return _attempt_record(delivery, answer, now=now, lease=renewed)


def _attempt_record(
    delivery: Delivery, answer: network.Answer, *, now: datetime, lease: datetime
) -> Attempt | None:
    """Record the attempt and what it means for the delivery and its endpoint. Locks in
    the portal's order: the endpoint (the account's) before the delivery (the
    endpoint's). An attempt that cannot be recorded still counts (_attempt_lost)."""
    finished = now + timedelta(milliseconds=answer.duration_ms)
    round_started = delivery.round_started_at or now
    fields = {
        "attempt_count": delivery.attempt_count + 1,
        "last_attempt_at": now,
        "round_started_at": round_started,
        "leased_until": None,
    }
    if answer.succeeded:
        fields.update(status=Delivery.Status.DELIVERED, delivered_at=finished)
        fields["next_attempt_at"] = None
    elif finished - round_started >= RETRY_FOR:
        fields.update(status=Delivery.Status.FAILED, next_attempt_at=None)
    else:
        fields["next_attempt_at"] = finished + backoff(delivery.attempt_count + 1)
    try:
        with transaction.atomic():
            disable = _endpoint_health(delivery.endpoint_id, succeeded=answer.succeeded, now=now)
            attempt = Attempt.objects.create(
                delivery=delivery,
                started_at=now,
                duration_ms=answer.duration_ms,
                status_code=answer.status_code,
                succeeded=answer.succeeded,
                response_body=answer.body,
                error=answer.error[:300],
            )
            Delivery.objects.filter(pk=delivery.pk, leased_until=lease).update(**fields)
    except DatabaseError:
        logger.exception("The attempt of webhook delivery %s could not be recorded", delivery.pk)
        _attempt_lost(delivery, now=now, lease=lease)
        return None
    if disable:
        _endpoint_disable(delivery.endpoint, now=now)
    return attempt


def _attempt_lost(delivery: Delivery, *, now: datetime, lease: datetime) -> None:
    """An attempt whose record the database refused: the delivery fails with the attempt
    counted (an administrator may send it again), so it is never sent again and again
    unrecorded, and the events of the same object behind it go on."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk, leased_until=lease).update(
            status=Delivery.Status.FAILED,
            attempt_count=F("attempt_count") + 1,
            last_attempt_at=now,
            round_started_at=Coalesce("round_started_at", now),
            leased_until=None,
            next_attempt_at=None,
        )
        try:
            with transaction.atomic():
                Attempt.objects.create(
                    delivery=delivery,
                    started_at=now,
                    succeeded=False,
                    error="The attempt could not be recorded; the delivery was failed.",
                )
        except DatabaseError:
            logger.exception("Not even a short record of delivery %s's attempt", delivery.pk)


def _endpoint_health(endpoint_id: int, *, succeeded: bool, now: datetime) -> bool:
    """Keep when the endpoint's attempts started failing (cleared by a success); True
    when they have failed for DISABLE_AFTER and it is still enabled. Conditional
    UPDATEs: the endpoint row alone is locked, never its account."""
    endpoints = Endpoint.objects.filter(pk=endpoint_id)
    if succeeded:
        endpoints.exclude(failing_since=None).update(failing_since=None)
        return False
    endpoints.filter(failing_since=None).update(failing_since=now)
    return endpoints.filter(enabled=True, failing_since__lte=now - DISABLE_AFTER).exists()


def _endpoint_disable(endpoint: Endpoint, *, now: datetime) -> None:
    """Disable an endpoint whose every attempt failed for DISABLE_AFTER, audited, its
    administrators e-mailed. The account is locked first (the portal's order: account,
    then what belongs to it), as its administrators' own changes lock it."""
    with transaction.atomic():
        Account.objects.select_for_update(no_key=True).filter(pk=endpoint.account_id).first()
        endpoint = (
            Endpoint.objects.select_for_update(of=("self",))
            .select_related("account")
            .filter(pk=endpoint.pk, enabled=True, failing_since__lte=now - DISABLE_AFTER)
            .first()
        )
        if endpoint is None:
            return  # enabled again, or disabled by another worker meanwhile
        endpoint.enabled = False
        # Stored in English, shown in each reader's language (endpoint_detail.html).
        endpoint.disabled_reason = gettext_noop("Every delivery attempt failed for 5 days.")
        endpoint.save(update_fields=["enabled", "disabled_reason"])
        endpoint_audit(
            endpoint,
            "webhook_endpoint.disabled",
            actor=None,
            channel=AuditLog.Channel.SYSTEM,
            reason=endpoint.disabled_reason,
        )
        # Written to the outbox in this transaction: sent once it commits, never lost.
        emails.endpoint_disabled_email_queue(endpoint=endpoint)


def events_purge(*, now: datetime | None = None) -> int:
    """Forget events (with their deliveries and attempts) older than the retention
    (`WEBHOOKS_RETENTION_DAYS`) that no endpoint is still waiting for; returns how many."""
    now = _now(now)
    cutoff = now - timedelta(days=settings.WEBHOOKS_RETENTION_DAYS)
    waiting = Delivery.objects.filter(event=OuterRef("pk"), status=Delivery.Status.PENDING)
    old = Event.objects.filter(created_at__lt=cutoff).exclude(Exists(waiting))
    deleted = 0
    while ids := list(old.values_list("id", flat=True)[:1000]):
        Event.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted


def delivery_next_in_line(*, delivery_id: int) -> int | None:
    """The delivery of the same object and endpoint that waited for this one."""
    delivery = Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.PENDING)
    row = delivery.values("endpoint_id", "ordering_key").first()
    if row is None:
        return None
    return (
        Delivery.objects.filter(**row, status=Delivery.Status.PENDING, id__gt=delivery_id)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
