"""Licensing test helpers: subscriptions and keys made with the ORM, and installations
that sign requests exactly as ``pmm-proxy`` does (same envelope, same payloads)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accounts.models import Account
from licensing import signing
from licensing.client import envelope
from subscriptions.models import LicenseKey, Product, Subscription

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
STARTS = date(2026, 1, 1)
ENDS = date(2026, 12, 31)
# Where pmm-proxy finds the portal in tests (the conftest's ``portal`` fixture answers).
PORTAL = "http://portal.test"


def product() -> Product:
    return Product.objects.get_or_create(code="pmm", defaults={"name": "Parallels Mac Management"})[
        0
    ]


def subscription_make(
    account: Account | None,
    *,
    licenses: int = 5,
    offline: bool = False,
    starts_on: date = STARTS,
    ends_on: date = ENDS,
) -> Subscription:
    return Subscription.objects.create(
        product=product(),
        account=account,
        licenses=licenses,
        starts_on=starts_on,
        ends_on=ends_on,
        offline_allowed=offline,
        registered_at=NOW if account else None,
    )


def primary_key_make(subscription: Subscription) -> LicenseKey:
    return LicenseKey.objects.create(subscription=subscription, type=LicenseKey.Type.PRIMARY)


def sublicense_make(
    subscription: Subscription,
    *,
    quota: int,
    name: str = "Branch office",
    type: str = LicenseKey.Type.RESERVED,
    expires_on: date | None = None,
) -> LicenseKey:
    return LicenseKey.objects.create(
        subscription=subscription,
        type=type,
        name=name,
        quota=quota,
        renew_with_subscription=expires_on is None,
        expires_on=expires_on,
    )


class Installation:
    """One on-premises proxy: its own Ed25519 key pair and installation id."""

    def __init__(self, server_name: str = "pmm.alice.example", site_code: str = "HQ") -> None:
        self.private_key: Ed25519PrivateKey = envelope.generate_private_key()
        self.installation_id = str(uuid.uuid4())
        self.server_name = server_name
        self.site_code = site_code

    @property
    def kid(self) -> str:
        return envelope.key_id_for(self.private_key)

    def seal(
        self,
        message_type: str,
        payload: dict[str, Any],
        *,
        now: datetime = NOW,
        ttl: timedelta = timedelta(minutes=15),
        private_key: Ed25519PrivateKey | None = None,
    ) -> str:
        key = private_key or self.private_key
        return envelope.seal(
            message_type=message_type, payload=payload, private_key=key, now=now, ttl=ttl
        )

    def activation(
        self, license_key: str, *, method: str = "online", now: datetime = NOW, **extra: Any
    ) -> str:
        payload = {
            "license_key": license_key,
            "installation_id": self.installation_id,
            "installation_public_key": envelope.public_key_pem(self.private_key),
            "server_name": self.server_name,
            "site_code": self.site_code,
            "site_description": "Head office",
            "app_version": "8.5.1",
            "method": method,
            **extra,
        }
        return self.seal("activation_request", payload, now=now)

    def refresh(
        self, *, method: str = "online", usage: dict[str, Any] | None = None, now: datetime = NOW
    ) -> str:
        payload = {"installation_id": self.installation_id, "method": method, "usage": usage}
        return self.seal("refresh_request", payload, now=now)

    def usage(
        self, computers: int, *, peak: int | None = None, day: date | None = None, now=NOW
    ) -> str:
        payload = {
            "installation_id": self.installation_id,
            "registered_computers": computers,
            "peak": computers if peak is None else peak,
            "date": (day or now.date()).isoformat(),
        }
        return self.seal("usage_report", payload, now=now)

    def deactivation(self, *, method: str = "online", now: datetime = NOW) -> str:
        payload = {"installation_id": self.installation_id, "method": method}
        return self.seal("deactivation_request", payload, now=now)


def answer_open(text: str, expected: str, *, now: datetime = NOW) -> envelope.Message:
    """Verify a portal answer the way the proxy does."""
    return envelope.open_envelope(
        text, expected_types=expected, public_keys=signing.public_keys(), now=now
    )
