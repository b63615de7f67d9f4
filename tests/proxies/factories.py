"""Proxy servers and their reports, made directly with the ORM.

These do not go through the subscriptions or licensing services on purpose: the
Proxy Servers page only reads what those services write.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Account
from proxies.models import ProxyServer, UsageReport
from subscriptions.models import LicenseKey, Product, Subscription

_keys = itertools.count(1)


def product() -> Product:
    return Product.objects.get_or_create(code="pmm", defaults={"name": "Parallels Mac Management"})[
        0
    ]


def subscription_create(
    account: Account,
    *,
    licenses: int = 10,
    ends_on: date | None = None,
    offline_allowed: bool = False,
) -> Subscription:
    today = timezone.localdate()
    return Subscription.objects.create(
        product=product(),
        account=account,
        licenses=licenses,
        starts_on=today - timedelta(days=300),
        ends_on=ends_on or today + timedelta(days=365),
        offline_allowed=offline_allowed,
        registered_at=timezone.now(),
    )


def key_create(
    subscription: Subscription,
    *,
    primary: bool = True,
    quota: int | None = None,
    expires_on: date | None = None,
    key: str | None = None,
) -> LicenseKey:
    fields = {}
    if key:
        fields["key"] = key
    if primary:
        return LicenseKey.objects.create(
            subscription=subscription, type=LicenseKey.Type.PRIMARY, **fields
        )
    return LicenseKey.objects.create(
        subscription=subscription,
        type=LicenseKey.Type.RESERVED,
        name=f"Sublicense {next(_keys)}",
        quota=quota,
        renew_with_subscription=expires_on is None,
        expires_on=expires_on,
        **fields,
    )


def proxy_create(
    account: Account,
    *,
    key: LicenseKey | None = None,
    server_name: str = "Test site stand-alone",
    site_code: str = "T12",
    site_description: str = "",
    app_version: str = "6.0.0.74",
    status: str = ProxyServer.Status.ACTIVE,
    registered_computers: int = 0,
    notes: str = "",
    licenses: int = 10,
    ends_on: date | None = None,
    activated_at=None,
    last_report_at=None,
) -> ProxyServer:
    """A server with its own subscription and primary key unless `key` is given."""
    if key is None:
        key = key_create(subscription_create(account, licenses=licenses, ends_on=ends_on))
    return ProxyServer.objects.create(
        account=account,
        license_key=key,
        installation_id=uuid.uuid4(),
        installation_public_key="-----BEGIN PUBLIC KEY-----\ntest\n-----END PUBLIC KEY-----\n",
        installation_key_id=uuid.uuid4().hex[:16],
        server_name=server_name,
        site_code=site_code,
        site_description=site_description,
        app_version=app_version,
        method=ProxyServer.Method.ONLINE,
        status=status,
        activated_at=activated_at or timezone.now() - timedelta(days=30),
        deactivated_at=timezone.now() if status == ProxyServer.Status.DEACTIVATED else None,
        last_report_at=last_report_at,
        registered_computers=registered_computers,
        notes=notes,
    )


def proxies_bulk_create(account: Account, n: int, *, prefix: str = "srv") -> list[ProxyServer]:
    """`n` servers sharing one subscription, each on its own sublicense (fast: bulk inserts)."""
    subscription = subscription_create(account, licenses=n * 10)
    keys = LicenseKey.objects.bulk_create(
        [
            LicenseKey(
                subscription=subscription,
                type=LicenseKey.Type.DYNAMIC,
                name=f"{prefix} key {i}",
                quota=5 + i % 7,
            )
            for i in range(n)
        ]
    )
    now = timezone.now()
    return ProxyServer.objects.bulk_create(
        [
            ProxyServer(
                account=account,
                license_key=key,
                installation_id=uuid.uuid4(),
                installation_public_key="pem",
                installation_key_id=f"k{i}",
                server_name=f"{prefix}-{i:05d}",
                site_code=f"S{i % 100:02d}",
                method=ProxyServer.Method.ONLINE,
                activated_at=now - timedelta(days=i % 300),
                last_report_at=now - timedelta(days=i % 7),
                registered_computers=i % 13,
            )
            for i, key in enumerate(keys)
        ]
    )


def reports_create(
    server: ProxyServer, peaks: list[int], *, licenses: int = 10, start: date | None = None
) -> list[UsageReport]:
    start = start or timezone.localdate() - timedelta(weeks=len(peaks))
    return UsageReport.objects.bulk_create(
        [
            UsageReport(
                proxy_server=server,
                date=start + timedelta(weeks=i),
                registered_computers=peak,
                peak=peak,
                licenses=licenses,
            )
            for i, peak in enumerate(peaks)
        ]
    )
