"""Demo proxy servers for "My Company, Inc.", so the Proxy Servers page has something
to show in every Display choice: active, over its license limit, expiring soon,
expired, deactivated and blacklisted, each with weekly usage reports, and a server
moved from one license key to another.

Runs after licensing's demo: if that already activated installations for the company,
only the blacklisted and the moved server are added. Idempotent: a second run finds
the servers and stops.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from core.errors import DomainError
from proxies.models import ProxyServer, UsageReport
from proxies.services import proxy_server_blacklist, proxy_server_move
from subscriptions.models import LicenseKey
from subscriptions.services import sublicense_create

BLACKLISTED = "unknown-proxy.corp.example"
MOVED = "lab-proxy.corp.example"


def _public_key_pem() -> str:
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _server(company, key: LicenseKey, *, name: str, site: str, peaks: list[int], **fields):
    now = timezone.now()
    today = timezone.localdate()
    weeks = len(peaks)
    server = ProxyServer.objects.create(
        account=company,
        license_key=key,
        installation_id=uuid.uuid4(),
        installation_public_key=_public_key_pem(),
        installation_key_id=uuid.uuid4().hex[:16],
        server_name=name,
        site_code=site,
        method=fields.pop("method", ProxyServer.Method.ONLINE),
        activated_at=now - timedelta(weeks=weeks, days=2),
        last_refresh_at=now - timedelta(hours=5),
        last_report_at=fields.pop("last_report_at", now - timedelta(days=1) if peaks else None),
        registered_computers=peaks[-1] if peaks else 0,
        **fields,
    )
    licenses = key.licenses
    UsageReport.objects.bulk_create(
        [
            UsageReport(
                proxy_server=server,
                date=today - timedelta(days=1, weeks=weeks - 1 - i),
                registered_computers=peak,
                peak=peak,
                licenses=licenses,
            )
            for i, peak in enumerate(peaks)
        ]
    )
    return server


def seed(context: dict) -> None:
    company = context.get("company")
    if company is None:
        return
    if not ProxyServer.objects.filter(account=company).exists():
        _seed_servers(context, company)
    _seed_blacklisted_and_moved(context, company)


def _seed_blacklisted_and_moved(context: dict, company) -> None:
    """An installation nobody knew, blacklisted after it took the primary key for a
    while; and a lab server moved from the "Old Lab" key to the "Mobile Lab" key, its
    usage history with it. Both through the services, so the audit log and the webhooks
    have them too."""
    actor = context.get("demo_user") or context.get("actor")
    keys = context.get("license_keys") or []
    primary = next((k for k in keys if k.is_primary), None)
    if actor is None or primary is None:
        return
    now = timezone.now()
    if not ProxyServer.objects.filter(account=company, server_name=BLACKLISTED).exists():
        stranger = _server(
            company,
            primary,
            name=BLACKLISTED,
            site="UNK",
            site_description="Not one of ours: activated with a leaked key",
            app_version="8.0.2",
            peaks=[1, 1],
            status=ProxyServer.Status.DEACTIVATED,
            deactivated_at=now - timedelta(days=3),
        )
        proxy_server_blacklist(proxy_server=stranger, actor=actor, now=now - timedelta(days=3))
    if ProxyServer.objects.filter(account=company, server_name=MOVED).exists():
        return
    subscription = primary.subscription
    try:
        old, new = (
            sublicense_create(
                subscription=subscription,
                actor=actor,
                name=name,
                quota=quota,
                type=LicenseKey.Type.RESERVED,
            )
            for name, quota in (("Old Lab", 2), ("Mobile Lab", 3))
        )
        server = _server(
            company,
            old,
            name=MOVED,
            site="LAB",
            site_description="Lab, moved to the Mobile Lab key",
            app_version="8.0.2",
            peaks=[1, 2, 2, 2],
        )
        proxy_server_move(proxy_server=server, license_key=new, actor=actor)
    except DomainError:
        return  # the pool has no room left for the lab: the demo goes without it


def _seed_servers(context: dict, company) -> None:
    keys = {k.name or "primary": k for k in context.get("license_keys", [])}
    primary = next((k for k in keys.values() if k.is_primary), None)
    if primary is None:
        return
    now = timezone.now()
    # An old installation on the primary key, replaced by the one below.
    _server(
        company,
        primary,
        name="sccm-hq-old.corp.example",
        site="HQ1",
        site_description="Headquarters (retired server)",
        app_version="7.4.1",
        peaks=[9, 11, 12],
        status=ProxyServer.Status.DEACTIVATED,
        deactivated_at=now - timedelta(weeks=12),
        notes="Replaced by sccm-hq-01 after the hardware refresh.",
    )
    _server(
        company,
        primary,
        name="sccm-hq-01.corp.example",
        site="HQ1",
        site_description="Headquarters, Bellevue",
        app_version="8.0.2",
        peaks=[10, 11, 11, 12, 13, 13, 14, 15, 15, 16, 16, 17],
    )
    design = keys.get("Design Studio")
    if design is not None:
        _server(
            company,
            design,
            name="design-proxy.corp.example",
            site="DS1",
            site_description="Design Studio (over its license limit)",
            app_version="8.0.2",
            peaks=[3, 4, 4, 5, 6, 6, 7],
            notes="More Macs than licenses: ask sales for 5 more.",
        )
    branch = keys.get("Branch Office")
    if branch is not None:
        _server(
            company,
            branch,
            name="branch-proxy.corp.example",
            site="BR2",
            site_description="Branch office, offline site",
            app_version="7.9.0",
            method=ProxyServer.Method.OFFLINE,
            peaks=[2, 3, 3, 4],
        )
    # The pilot's subscription expired and its server stopped reporting 10 days ago:
    # silent for more than 7 days.
    for subscription, name, site, peaks, last_report_at in [
        (context.get("trial_subscription"), "eval-proxy.corp.example", "EV1", [1, 2, 3], None),
        (
            context.get("expired_subscription"),
            "pilot-proxy.corp.example",
            "PL1",
            [4, 5, 5, 6],
            now - timedelta(days=10),
        ),
    ]:
        key = (
            subscription.license_keys.filter(type=LicenseKey.Type.PRIMARY).first()
            if subscription is not None
            else None
        )
        if key is not None and not key.proxy_servers.filter(status="active").exists():
            _server(
                company,
                key,
                name=name,
                site=site,
                peaks=peaks,
                app_version="8.0.0",
                last_report_at=last_report_at or now - timedelta(days=1),
            )
