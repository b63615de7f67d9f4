"""The outbox: every e-mail the portal sends, written in the transaction of the change
that causes it, then delivered by Celery (outbox/delivery.py).

A row is also the claim that keeps two workers from sending it twice: `claimed_at` is a
lease taken by a conditional UPDATE (healthchecks' sendalerts), `status` says whether
it is still to be sent. The body is erased once sent: confirmation, password-reset and
invitation links are credentials, and the outbox is not where they should linger.
"""

from __future__ import annotations

from email.utils import parseaddr

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import models
from django.utils import timezone


class OutboxEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    kind = models.CharField(
        max_length=100, help_text="Which e-mail this is, e.g. accounts.invitation."
    )
    to = models.JSONField(default=list)
    from_email = models.CharField(max_length=254)
    subject = models.TextField()
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    # When the sweep takes it up if nothing has sent it by then (never enqueued: the
    # broker was down; or a retry that could not be scheduled).
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "outbox e-mail"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="queued"),
                name="outbox_email_due",
            ),
            models.Index(fields=["status", "-created_at"], name="outbox_email_status"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"

    def message_id(self) -> str:
        """This e-mail's Message-ID: the same on every attempt (the row's id and creation
        time, at the sender's domain), so a copy sent twice is one message to the
        receiving side (outbox/delivery.py)."""
        domain = parseaddr(self.from_email)[1].rpartition("@")[2] or str(DNS_NAME)
        stamp = int(self.created_at.timestamp() * 1_000_000)
        return f"<outbox.{self.pk}.{stamp}@{domain}>"

    def message(self) -> EmailMessage:
        """The e-mail as Django's mail backends send it."""
        headers = {"Message-ID": self.message_id(), **self.headers}
        if not self.body and self.html:
            message = EmailMessage(
                self.subject, self.html, self.from_email, self.to, headers=headers
            )
            message.content_subtype = "html"
            return message
        message = EmailMultiAlternatives(
            self.subject, self.body, self.from_email, self.to, headers=headers
        )
        if self.html:
            message.attach_alternative(self.html, "text/html")
        return message
