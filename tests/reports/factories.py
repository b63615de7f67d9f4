"""Rows for the reports tests, made directly through the ORM (the apps' services are
someone else's moving target; the reports only read these tables)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

from accounts.models import Account
from proxies.models import ProxyServer, UsageReport
from subscriptions.models import LicenseKey, Product, Subscription

_names = itertools.count(1)


def product() -> Product:
    return Product.objects.get_or_create(code="pmm", defaults={"name": "Mac Management"})[0]


def subscription_create(
    account: Account | None,
    *,
    licenses: int = 100,
    starts_on: date = date(2024, 1, 1),
    ends_on: date = date(2026, 12, 31),
    name: str = "",
) -> Subscription:
    subscription = Subscription.objects.create(
        product=product(),
        account=account,
        name=name,
        licenses=licenses,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    LicenseKey.objects.create(subscription=subscription, type=LicenseKey.Type.PRIMARY)
    return subscription


def primary_key(subscription: Subscription) -> LicenseKey:
    return subscription.license_keys.get(type=LicenseKey.Type.PRIMARY)


def sublicense_create(
    subscription: Subscription,
    *,
    quota: int = 10,
    name: str = "",
    type: str = LicenseKey.Type.RESERVED,
    expires_on: date | None = None,
) -> LicenseKey:
    return LicenseKey.objects.create(
        subscription=subscription,
        type=type,
        quota=quota,
        name=name or f"Sublicense {next(_names)}",
        renew_with_subscription=expires_on is None,
        expires_on=expires_on,
    )


def proxy_create(
    key: LicenseKey,
    *,
    server_name: str = "",
    site_code: str = "HQ",
    activated_at: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    last_report_at: datetime | None = None,
    status: str = ProxyServer.Status.ACTIVE,
) -> ProxyServer:
    return ProxyServer.objects.create(
        account_id=key.subscription.account_id,
        license_key=key,
        installation_id=uuid.uuid4(),
        installation_public_key="-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        installation_key_id="test",
        server_name=server_name or f"proxy-{next(_names)}",
        site_code=site_code,
        method=ProxyServer.Method.ONLINE,
        status=status,
        activated_at=activated_at,
        last_report_at=last_report_at,
    )


def usage_create(proxy: ProxyServer, *, day: date, peak: int, licenses: int = 100) -> UsageReport:
    return UsageReport.objects.create(
        proxy_server=proxy,
        date=day,
        registered_computers=peak,
        peak=peak,
        licenses=licenses,
    )


def usage_week(proxy: ProxyServer, *, week_start: date, peaks: list[int]) -> None:
    for offset, peak in enumerate(peaks):
        usage_create(proxy, day=week_start + timedelta(days=offset), peak=peak)
