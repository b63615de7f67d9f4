"""Support tickets: an account's questions to the support team, their thread of
messages (public replies and staff-internal notes), attachments and watchers."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from proxies.models import ProxyServer
from subscriptions.models import LicenseKey, Subscription


class Ticket(models.Model):
    class Category(models.TextChoices):
        TECHNICAL = "technical", _("Technical")
        LICENSING = "licensing", _("Licensing")
        PURCHASE = "purchase", _("Purchase")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        # The support team answered and waits for the customer.
        WAITING = "waiting", _("Waiting for you")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tickets")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="support_tickets",
    )
    subject = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=Category.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    license_key = models.ForeignKey(
        LicenseKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    proxy_server = models.ForeignKey(
        ProxyServer, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    # Set when the ticket used one of its subscription's support incidents.
    uses_incident = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField()
    # The last public message or status change: the list sorts by it.
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "updated_at", "id"], name="ticket_account_updated"),
            models.Index(fields=["account", "status", "updated_at"], name="ticket_account_status"),
            models.Index(
                fields=["subscription"],
                condition=models.Q(uses_incident=True),
                name="ticket_incidents",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="support_messages",
    )
    # Written by the support team (in Django admin), not by a person of the account.
    from_staff = models.BooleanField(default=False)
    # A staff-internal note: never shown to the account, never e-mailed.
    internal = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="ticket_message_order")]

    def __str__(self) -> str:
        return f"{self.ticket}: {self.body[:40]}"


def attachment_upload_to(instance: TicketAttachment, filename: str) -> str:
    # Never the uploader's name on disk: a random one, outside any public URL.
    return f"support/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    name = models.CharField(max_length=200, help_text="The uploaded file's name, as given.")
    # Detected from the content (support.attachments), never taken from the name.
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class TicketWatcher(models.Model):
    """A person of the account who follows a ticket: e-mailed on every public reply and
    status change made by someone else."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watched_tickets"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticket_watcher_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} watches {self.ticket}"
