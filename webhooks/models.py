"""Webhook endpoints of business accounts, the events they receive, and every attempt.

An Event is what happened, once, with the exact body every endpoint receives (the
same bytes on every attempt, so a receiver that stored the first can compare). A
Delivery is one event on its way to one endpoint; an Attempt is one POST of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AuditLog


class Endpoint(models.Model):
    """An administrator's receiver of the account's events."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="The event types it receives.")
    enabled = models.BooleanField(default=True)
    # Standard Webhooks secrets ("whsec_" + base64). Shown once; the previous one keeps
    # signing beside the new one until `previous_secret_expires_at` after a rotation.
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Since when every attempt has failed (cleared by a success); five days of it
    # disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["account", "enabled"])]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, *, now) -> list[str]:
        """The secrets that sign a message sent at `now`: the current one, and the
        previous one during the overlap after a rotation."""
        secrets = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and now < self.previous_secret_expires_at
        ):
            secrets.append(self.previous_secret)
        return secrets


class Event(models.Model):
    """One event of the catalog (webhooks/events.py) in one account."""

    public_id = models.CharField(max_length=40, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    # The JSON body, as sent: stored as text so that every attempt sends the same bytes.
    body = models.TextField()
    # Deliveries of one endpoint keep their order among events of one object.
    ordering_key = models.CharField(max_length=100)
    # Where it came from: an audit entry, or a periodic check's key (once per key).
    audit_entry = models.ForeignKey(
        AuditLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dedupe_key = models.CharField(max_length=150, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "ordering_key", "type", "-id"])]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


class Delivery(models.Model):
    """One event on its way to one endpoint."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    ordering_key = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker that claimed the delivery owns it until then (a lease: one that died
    # mid-send gives it up). Claimed by a conditional UPDATE, so never sent twice at once.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    # Retries stop three days after the first attempt (a redelivery starts a new round).
    round_started_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "ordering_key", "id"], name="webhook_delivery_order"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"


class Attempt(models.Model):
    """One POST of a delivery: what the receiver answered, and how fast."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    # The first 2 KB of the response (decoded leniently), or why nothing was sent.
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["delivery", "-started_at"])]

    def __str__(self) -> str:
        return f"Attempt of {self.delivery_id} at {self.started_at}: {self.status_code}"
