"""Writes of webhooks: endpoints and their secrets, a test event, redeliveries.

An administrator's changes, each audited and checked under the account's lock (the
portal's lock order: account, then the endpoint, then its deliveries). Events, their
deliveries and attempts are made and sent by webhooks.delivery, handed to workers by
webhooks.tasks.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AuditLog, User
from accounts.services import account_admin_check
from webhooks import events, network
from webhooks.delivery import (
    deliveries_claim,
    endpoint_audit,
    event_create,
    event_public_id,
)
from webhooks.errors import WebhookError
from webhooks.models import Delivery, Endpoint
from webhooks.tasks import deliveries_dispatch

MAX_ENDPOINTS = 20
SECRET_OVERLAP = timedelta(hours=24)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def secret_generate() -> str:
    """A Standard Webhooks signing secret: whsec_ + 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _admin_check(*, actor: User, account: Account) -> None:
    # Locks the account row first: the portal's order is account → subscription → key
    # → installation, and an endpoint (then its deliveries) after its account.
    if not account.is_business:
        raise WebhookError("not_business")
    account_admin_check(actor=actor, account=account, lock=True)


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
        endpoint_audit(
            endpoint,
            "webhook_endpoint.created",
            actor=actor,
            channel=channel,
            event_types=types,
            enabled=enabled,
        )
    return NewSecret(endpoint, secret)


def _endpoint_locked(endpoint: Endpoint) -> Endpoint:
    """The endpoint's row, locked. Gone (another administrator deleted it after this
    request read it) is not found, as it would have been a moment earlier."""
    locked = Endpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
    if locked is None:
        raise WebhookError("not_found")
    return locked


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
        locked = _endpoint_locked(endpoint)
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
        endpoint_audit(locked, "webhook_endpoint.updated", actor=actor, channel=channel, **changed)
    return locked


def endpoint_delete(
    *, endpoint: Endpoint, actor: User, channel: str = AuditLog.Channel.WEB
) -> None:
    """Remove an endpoint with its deliveries and their log."""
    with transaction.atomic():
        _admin_check(actor=actor, account=endpoint.account)
        try:
            locked = _endpoint_locked(endpoint)
        except WebhookError:
            return  # deleted meanwhile: deleting it again changes nothing
        endpoint_audit(locked, "webhook_endpoint.deleted", actor=actor, channel=channel)
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
        locked = _endpoint_locked(endpoint)
        secret = secret_generate()
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + SECRET_OVERLAP
        locked.secret = secret
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        endpoint_audit(
            locked,
            "webhook_endpoint.secret_rotated",
            actor=actor,
            channel=channel,
            previous_valid_until=locked.previous_secret_expires_at.isoformat(),
        )
    return NewSecret(locked, secret)


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
        locked = _endpoint_locked(endpoint)
        if not locked.enabled:
            raise WebhookError("endpoint_disabled")
        public_id = event_public_id()
        data = {"message": "A test event from the portal.", "endpoint_id": locked.pk}
        event = event_create(
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
        endpoint_audit(locked, "webhook_endpoint.test_sent", actor=actor, channel=channel)
        deliveries_dispatch(deliveries_claim(ids=[delivery.pk], now=now))
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
        locked = _endpoint_locked(endpoint)
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
        endpoint_audit(
            locked,
            "webhook_endpoint.redelivered",
            actor=actor,
            channel=channel,
            deliveries=len(ids),
            since=since.isoformat() if since else None,
        )
        deliveries_dispatch(deliveries_claim(ids=ids, now=now))
    return len(ids)
