from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from subscriptions import quota
from subscriptions.models import LicenseKey, license_key_expired, license_key_expired_q

EXPIRED = "expired"


def proxy_server_expired_q(today: date) -> models.Q:
    """Servers the Proxy Servers page lists under Expired: not deactivated, and their
    key (annotated `key_end`, see `license_key_end_date_expression`) ended."""
    return ~models.Q(status=ProxyServer.Status.DEACTIVATED) & license_key_expired_q(today)


def proxy_server_shown_status(*, status: str, key_end: date, today: date) -> str:
    """The status pages and reports show: "expired" once the key has ended (as the
    Proxy Servers page's Expired filter, `proxy_server_expired_q`), else the stored one."""
    if status != ProxyServer.Status.DEACTIVATED and license_key_expired(key_end, today=today):
        return EXPIRED
    return status


class ProxyServer(models.Model):
    """One activation of one on-premises installation (its Parallels Proxy)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Activated")
        # Offline deactivation: the proxy has switched itself off, but the key stays
        # taken until its deactivation request file is uploaded.
        DEACTIVATING = "deactivating", _("Deactivation pending")
        DEACTIVATED = "deactivated", _("Deactivated")

    class Method(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")

    # The statuses in which an installation holds its license key (and its licenses).
    HOLDING_STATUSES = (Status.ACTIVE, Status.DEACTIVATING)

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="proxy_servers")
    license_key = models.ForeignKey(
        LicenseKey, on_delete=models.PROTECT, related_name="proxy_servers"
    )
    activation_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    installation_id = models.UUIDField()
    installation_public_key = models.TextField(help_text="Ed25519 public key (PEM)")
    installation_key_id = models.CharField(max_length=40)
    server_name = models.CharField(max_length=255)
    site_code = models.CharField(max_length=32)
    site_description = models.CharField(max_length=255, blank=True)
    app_version = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    activated_at = models.DateTimeField()
    deactivated_at = models.DateTimeField(null=True, blank=True)
    last_refresh_at = models.DateTimeField(null=True, blank=True)
    last_report_at = models.DateTimeField(null=True, blank=True)
    registered_computers = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    # Blacklisted by an Account Administrator: the installation (its id, and its public
    # key under any id) may not activate any key of the account until unblacklisted
    # (proxies.services.installation_blacklisted).
    blacklisted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One license key activates one installation at a time (DESIGN.md).
            models.UniqueConstraint(
                fields=["license_key"],
                condition=models.Q(status__in=["active", "deactivating"]),
                name="proxy_one_installation_per_key",
            ),
            # ...and an installation holds one key at a time.
            models.UniqueConstraint(
                fields=["installation_id"],
                condition=models.Q(status__in=["active", "deactivating"]),
                name="proxy_one_key_per_installation",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["installation_id"]),
            # The Proxy Servers page sorts by these within one account (either way: an
            # index reads backwards); `id` breaks ties so that pagination is stable.
            # An empty Last Report Date sorts first going up (proxies.selectors).
            models.Index(fields=["account", "server_name", "id"], name="proxy_account_name"),
            models.Index(fields=["account", "activated_at", "id"], name="proxy_account_activated"),
            models.Index(
                F("account"),
                F("last_report_at").asc(nulls_first=True),
                F("id"),
                name="proxy_account_reported",
            ),
            models.Index(fields=["account", "site_code", "id"], name="proxy_account_site"),
            # The activation's blacklist check: a few rows per account, by installation
            # id or by installation key.
            models.Index(
                fields=["account", "installation_key_id"],
                condition=models.Q(blacklisted_at__isnull=False),
                name="proxy_blacklisted_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.server_name} ({self.site_code})"

    @property
    def holds_key(self) -> bool:
        return self.status in self.HOLDING_STATUSES

    @property
    def is_blacklisted(self) -> bool:
        return self.blacklisted_at is not None


class UsageReport(models.Model):
    """A proxy's report of how many computers it manages on a date."""

    proxy_server = models.ForeignKey(
        ProxyServer, on_delete=models.CASCADE, related_name="usage_reports"
    )
    date = models.DateField()
    registered_computers = models.PositiveIntegerField()
    peak = models.PositiveIntegerField()
    licenses = models.PositiveIntegerField(help_text="The key's license limit when reported.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proxy_server", "date"], name="usage_one_per_day"),
        ]
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.proxy_server} {self.date}: {self.peak}"

    @property
    def over_limit(self) -> bool:
        return quota.is_over_limit(self.licenses - self.peak)


class ProxyListPreference(models.Model):
    """Which columns a user shows on the Proxy Servers page (the "gear" picker)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proxy_list_preference"
    )
    columns = models.JSONField(default=list, help_text="Column keys in display order.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Proxy list columns of {self.user}"
