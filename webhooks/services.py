"""Writes of webhooks: endpoints and their secrets, events, deliveries and attempts.

Events come from one source written in the same transaction as the change they
report: the audit log's outbox (accounts.AuditOutbox). `events_fan_out` takes its
rows, makes the events the catalog names and one Delivery per endpoint that wants
each, all in one transaction: a taken entry has its deliveries, or it was not taken.

Deliveries are sent by `delivery_attempt`, one Celery task per delivery, outside any
transaction. It claims the delivery with a conditional UPDATE (a lease), so two
workers never send one at the same time, and only the oldest undelivered event of
one object per endpoint is claimable, so an endpoint receives an object's events in
order. A failure is retried with exponential backoff and jitter for three days;
an endpoint whose every attempt failed for five days is disabled and its
administrators are e-mailed.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop
from standardwebhooks.webhooks import Webhook

from accounts.models import Account, AuditLog, AuditOutbox, User
from accounts.services import audit_log_record, audit_outbox_take, is_account_admin
from outbox.tasks import task_enqueue
from proxies.models import ProxyServer
from proxies.selectors import proxy_servers_over_limit
from reports.models import ExpiryNotice
from reports.services import STALE_AFTER
from subscriptions.models import Subscription
from webhooks import emails, events, network, tasks
from webhooks.errors import WebhookError
from webhooks.models import Attempt, Delivery, Endpoint, Event

logger = logging.getLogger(__name__)

MAX_ENDPOINTS = 20
SECRET_OVERLAP = timedelta(hours=24)
RETRY_FOR = timedelta(days=3)
DISABLE_AFTER = timedelta(days=5)
# Longer than a POST may take (network.TIMEOUT): a worker that died mid-send gives the
# delivery up after this, and never before its POST has timed out.
LEASE = timedelta(seconds=60)
BACKOFF_FIRST = timedelta(seconds=10)
BACKOFF_MAX = timedelta(hours=6)
# Expiry notices and endings older than this are history, not news, for a new endpoint.
RECENT = timedelta(days=2)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def secret_generate() -> str:
    """A Standard Webhooks signing secret: whsec_ + 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _admin_check(*, actor: User, account: Account) -> None:
    if not account.is_business:
        raise WebhookError("not_business")
    if not is_account_admin(user=actor, account=account, lock=True):
        raise WebhookError("not_admin")


def _url_clean(url: str) -> str:
    url = (url or "").strip()
    try:
        network.url_check(url)
    except network.TargetRefused as refused:
        raise WebhookError("url_refused", reason=str(refused)) from None
    return url


def _types_clean(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types or ()))
    if not chosen:
        raise WebhookError("event_types_required")
    for type in chosen:
        if type not in events.TYPES:
            raise WebhookError("event_type_unknown", type=type)
    # Catalog order: pages and the API show them the same way every time.
    return [event.type for event in events.CATALOG if event.type in chosen]


def _audit(endpoint: Endpoint, action: str, *, actor: User | None, channel: str, **data) -> None:
    audit_log_record(
        account=endpoint.account,
        actor=actor,
        channel=channel,
        action=action,
        target=endpoint,
        target_label=endpoint.url,
        data=data,
    )


# --- endpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSecret:
    endpoint: Endpoint
    secret: str


def endpoint_create(
    *,
    account: Account,
    actor: User,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    enabled: bool = True,
    channel: str = AuditLog.Channel.WEB,
) -> NewSecret:
    """Connect a receiver; its signing secret is in the answer, and only there."""
    url = _url_clean(url)
    types = _types_clean(event_types)
    with transaction.atomic():
        _admin_check(actor=actor, account=account)
        if Endpoint.objects.filter(account=account).count() >= MAX_ENDPOINTS:
            raise WebhookError("too_many_endpoints", limit=MAX_ENDPOINTS)
        secret = secret_generate()
        endpoint = Endpoint.objects.create(
            account=account,
            url=url,
            description=description.strip(),
            event_types=types,
            enabled=enabled,
            secret=secret,
            created_by=actor,
        )
        _audit(
            endpoint,
            "webhook_endpoint.created",
            actor=actor,
            channel=channel,
            event_types=types,
            enabled=enabled,
        )
    return NewSecret(endpoint, secret)


def endpoint_update(
    *,
    endpoint: Endpoint,
    actor: User,
    url: str,
    event_types: Iterable[str],
    description: str,
    enabled: bool,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> Endpoint:
    """Change an endpoint. Enabling it again clears its failure record and resumes the
    deliveries it kept while disabled."""
    now = _now(now)
    url = _url_clean(url)
    types = _types_clean(event_types)
    with transaction.atomic():
        _admin_check(actor=actor, account=endpoint.account)
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = {
            "url": locked.url,
            "description": locked.description,
            "event_types": locked.event_types,
            "enabled": locked.enabled,
        }
        after = {"url": url, "description": description.strip(), "event_types": types}
        after["enabled"] = enabled
        if before == after:
            return locked
        if enabled and not locked.enabled:
            locked.failing_since = None
            locked.disabled_reason = ""
            Delivery.objects.filter(
                endpoint=locked, status=Delivery.Status.PENDING, next_attempt_at=None
            ).update(next_attempt_at=now, round_started_at=None)
        for name, value in after.items():
            setattr(locked, name, value)
        locked.save()
        changed = {name: after[name] for name in after if before[name] != after[name]}
        _audit(locked, "webhook_endpoint.updated", actor=actor, channel=channel, **changed)
    return locked


def endpoint_delete(
    *, endpoint: Endpoint, actor: User, channel: str = AuditLog.Channel.WEB
) -> None:
    """Remove an endpoint with its deliveries and their log."""
    with transaction.atomic():
        _admin_check(actor=actor, account=endpoint.account)
        locked = Endpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        if locked is None:
            return
        _audit(locked, "webhook_endpoint.deleted", actor=actor, channel=channel)
        locked.delete()


def endpoint_secret_rotate(
    *,
    endpoint: Endpoint,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> NewSecret:
    """Draw a new signing secret. The old one keeps signing beside it for 24 hours
    (both signatures in webhook-signature), so the receiver can switch without a gap.
    Rotating again within the overlap drops the oldest secret."""
    now = _now(now)
    with transaction.atomic():
        _admin_check(actor=actor, account=endpoint.account)
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        secret = secret_generate()
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + SECRET_OVERLAP
        locked.secret = secret
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        _audit(
            locked,
            "webhook_endpoint.secret_rotated",
            actor=actor,
            channel=channel,
            previous_valid_until=locked.previous_secret_expires_at.isoformat(),
        )
    return NewSecret(locked, secret)


def _enqueue(claims: list[tuple[int, str]]) -> None:
    """Hand claimed deliveries to workers, one task each, once the claim commits."""
    for delivery_id, lease in claims:
        transaction.on_commit(
            partial(
                task_enqueue,
                tasks.delivery_send_task,
                delivery_id,
                lease,
                what=f"webhook delivery {delivery_id}",
            )
        )


def deliveries_enqueue(
    *, now: datetime | None = None, ids: Iterable[int] | None = None
) -> list[tuple[int, str]]:
    """Claim the due deliveries (among `ids`, when given) and hand each to a worker."""
    with transaction.atomic():
        claims = deliveries_claim(now=now, ids=ids)
        _enqueue(claims)
    return claims


def endpoint_test_send(
    *,
    endpoint: Endpoint,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> Delivery:
    """Send a `webhook.test` event to this endpoint only."""
    now = _now(now)
    with transaction.atomic():
        _admin_check(actor=actor, account=endpoint.account)
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.enabled:
            raise WebhookError("endpoint_disabled")
        public_id = event_public_id()
        data = {"message": "A test event from the portal.", "endpoint_id": locked.pk}
        event = _event_create(
            account=locked.account,
            type=events.TEST.type,
            data=data,
            ordering_key=f"test:{public_id}",
            occurred_at=now,
            public_id=public_id,
        )
        delivery = Delivery.objects.create(
            endpoint=locked, event=event, ordering_key=event.ordering_key, next_attempt_at=now
        )
        _audit(locked, "webhook_endpoint.test_sent", actor=actor, channel=channel)
        _enqueue(deliveries_claim(ids=[delivery.pk], now=now))
    return delivery


def deliveries_redeliver(
    *,
    endpoint: Endpoint,
    actor: User,
    delivery: Delivery | None = None,
    since: datetime | None = None,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> int:
    """Send one delivery again, or every failed one of the endpoint created since
    `since`; each starts a new three-day round of retries. Returns how many."""
    now = _now(now)
    with transaction.atomic():
        _admin_check(actor=actor, account=endpoint.account)
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.enabled:
            raise WebhookError("endpoint_disabled")
        deliveries = Delivery.objects.filter(endpoint=locked)
        if delivery is not None:
            deliveries = deliveries.filter(pk=delivery.pk).exclude(
                status=Delivery.Status.PENDING, leased_until__gt=now
            )
            if not deliveries.exists():
                raise WebhookError("delivery_pending")
        else:
            deliveries = deliveries.filter(status=Delivery.Status.FAILED)
            if since is not None:
                deliveries = deliveries.filter(created_at__gte=since)
        ids = list(deliveries.order_by("id").values_list("id", flat=True))
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now,
            round_started_at=None,
            leased_until=None,
        )
        _audit(
            locked,
            "webhook_endpoint.redelivered",
            actor=actor,
            channel=channel,
            deliveries=len(ids),
            since=since.isoformat() if since else None,
        )
        _enqueue(deliveries_claim(ids=ids, now=now))
    return len(ids)


# --- events -----------------------------------------------------------------------------------


def event_public_id() -> str:
    """An event's id: also its webhook-id header, the same on every attempt."""
    return f"evt_{uuid.uuid4().hex}"


def _event_create(
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
    ids of the new deliveries (their tasks are enqueued after commit)."""
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
                        event = _event_create(
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
        _enqueue(deliveries_claim(ids=delivery_ids, now=now))
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
            event = _event_create(
                account=account,
                type=type,
                data=data,
                ordering_key=ordering_key,
                occurred_at=now,
                dedupe_key=dedupe_key,
            )
            ids = _deliveries_create(event, wanting, now=now)
            _enqueue(deliveries_claim(ids=ids, now=now))
    except IntegrityError:  # another run made this one already
        return []
    return ids


def conditions_check(*, now: datetime | None = None) -> list[int]:
    """The events no audit entry records, for accounts with enabled endpoints: a
    subscription ending in 30/7/1 days (the reports app's expiry notices) or expired,
    a proxy server silent for more than 7 days (the weekly report's rule), going over
    the license limit or coming back within it. Each is made once (a dedupe key, or
    the last over/within event of the server under the account's lock); returns the
    ids of the new deliveries."""
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
        account_id__in=accounts, ends_on__lt=today, ends_on__gte=today - RECENT
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
        Account.objects.select_for_update().filter(pk=account.pk).first()
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
    lease = now + LEASE
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
    ceiling = min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    return ceiling * random.uniform(0.5, 1.0)


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
    renewed = now + LEASE
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
) -> Attempt:
    finished = now + timedelta(milliseconds=answer.duration_ms)
    with transaction.atomic():
        attempt = Attempt.objects.create(
            delivery=delivery,
            started_at=now,
            duration_ms=answer.duration_ms,
            status_code=answer.status_code,
            succeeded=answer.succeeded,
            response_body=answer.body,
            error=answer.error[:300],
        )
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
        Delivery.objects.filter(pk=delivery.pk, leased_until=lease).update(**fields)
        _endpoint_health(delivery.endpoint_id, succeeded=answer.succeeded, now=now)
    return attempt


def _endpoint_health(endpoint_id: int, *, succeeded: bool, now: datetime) -> None:
    endpoint = Endpoint.objects.select_for_update().select_related("account").get(pk=endpoint_id)
    if succeeded:
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since"])
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since"])
        return
    if endpoint.enabled and now - endpoint.failing_since >= DISABLE_AFTER:
        endpoint.enabled = False
        # Stored in English, shown in each reader's language (endpoint_detail.html).
        endpoint.disabled_reason = gettext_noop("Every delivery attempt failed for 5 days.")
        endpoint.save(update_fields=["enabled", "disabled_reason"])
        _audit(
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
