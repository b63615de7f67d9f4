"""A webhook endpoint of the demo company with a delivery log to look at: events from
its own audit log, delivered at once, delivered after retries, given up on, and one
waiting for its next attempt.

Idempotent: `make run` calls it on every start; the demo endpoint's log is rebuilt.
`make run` points the endpoint at its loopback receiver (demo_data --webhook-url) and
sends it a test event, which the running Celery worker delivers; so are the events of
whatever one does in the demo. Without a receiver it points at example.com, where live
deliveries fail like a receiver that is down would.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from accounts.models import AuditLog
from webhooks import events, services
from webhooks.delivery import event_create
from webhooks.models import Attempt, Delivery, Endpoint, Event

URL = "https://hooks.example.com/myaccount"
DESCRIPTION = "Ticketing system (demo)"
OK = json.dumps({"received": True})
DOWN = "<html><body><h1>503 Service Unavailable</h1></body></html>"


def seed(context: dict) -> None:
    company, demo = context.get("company"), context.get("demo_user")
    if company is None or demo is None:
        return
    now = timezone.now()
    url = context.get("webhook_url") or URL
    endpoint = Endpoint.objects.filter(account=company, description=DESCRIPTION).first()
    if endpoint is None:
        endpoint = services.endpoint_create(
            account=company,
            actor=demo,
            url=url,
            description=DESCRIPTION,
            event_types=[event.type for event in events.CATALOG],
        ).endpoint
    elif endpoint.url != url or not endpoint.enabled:
        endpoint = services.endpoint_update(
            endpoint=endpoint,
            actor=demo,
            url=url,
            event_types=endpoint.event_types,
            description=DESCRIPTION,
            enabled=True,
        )
    Event.objects.filter(deliveries__endpoint=endpoint).delete()
    entries = [
        entry
        for entry in AuditLog.objects.filter(account=company).order_by("-id")[:200]
        if events.audit_event_types(entry)
    ][:4]
    # Oldest first: delivered, delivered on the third attempt, given up, waiting.
    outcomes = [[200], [500, 502, 200], [503] * 6, [503, 503]]
    for entry, answers in zip(reversed(entries), outcomes, strict=False):
        type = events.audit_event_types(entry)[0]
        built = events.build_from_audit(entry, type)
        if built is None:
            continue
        event = event_create(
            account=company,
            type=type,
            data=built.data,
            ordering_key=built.ordering_key,
            occurred_at=entry.created_at,
            audit_entry=entry,
        )
        delivered = answers[-1] == 200
        given_up = len(answers) > 4
        first = min(entry.created_at, now - timedelta(days=4 if given_up else 1))
        delivery = Delivery.objects.create(
            endpoint=endpoint,
            event=event,
            ordering_key=event.ordering_key,
            status="delivered" if delivered else "failed" if given_up else "pending",
            attempt_count=len(answers),
            round_started_at=first,
            last_attempt_at=first + timedelta(hours=len(answers) - 1),
            delivered_at=first + timedelta(hours=len(answers) - 1) if delivered else None,
            next_attempt_at=None if delivered or given_up else now + timedelta(minutes=20),
        )
        for n, status in enumerate(answers):
            Attempt.objects.create(
                delivery=delivery,
                started_at=first + timedelta(hours=n * (12 if given_up else 1)),
                duration_ms=80 + 37 * n,
                status_code=status,
                succeeded=status == 200,
                response_body=OK if status == 200 else DOWN,
            )
    if context.get("webhook_url"):
        # Delivered by the worker once this commits: the first live line of the log.
        services.endpoint_test_send(endpoint=endpoint, actor=demo)
    context["webhook_endpoint"] = endpoint
