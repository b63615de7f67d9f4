"""Demo installations for "My Company, Inc.": active online, offline, over the license
limit and deactivated, each with weekly usage reports, made with real installation keys.

Needs the keys subscriptions/demo.py puts in the context (primary, "Design Studio",
"Branch Office"); without them it does nothing. Idempotent: a second run finds the
servers by name and stops.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Account, AuditLog
from accounts.services import audit_log_record
from licensing.client import envelope
from proxies.models import ProxyServer, UsageReport
from subscriptions.models import LicenseKey

WEEKS = 8


def _server(
    company: Account,
    key: LicenseKey,
    *,
    name: str,
    site: str,
    method: str,
    peaks: list[int],
    activated_at: datetime,
    deactivated_at: datetime | None = None,
) -> ProxyServer:
    installation_key = envelope.generate_private_key()
    last_report = activated_at + timedelta(weeks=len(peaks) - 1)
    server = ProxyServer.objects.create(
        account=company,
        license_key=key,
        installation_id=uuid.uuid4(),
        installation_public_key=envelope.public_key_pem(installation_key),
        installation_key_id=envelope.key_id_for(installation_key),
        server_name=name,
        site_code=site,
        site_description=f"{site} site, SCCM primary",
        app_version="8.5.1",
        method=method,
        status=ProxyServer.Status.DEACTIVATED if deactivated_at else ProxyServer.Status.ACTIVE,
        activated_at=activated_at,
        deactivated_at=deactivated_at,
        last_refresh_at=deactivated_at or timezone.now() - timedelta(hours=5),
        last_report_at=last_report,
        registered_computers=peaks[-1],
    )
    licenses = key.licenses
    UsageReport.objects.bulk_create(
        UsageReport(
            proxy_server=server,
            date=(activated_at + timedelta(weeks=week)).date(),
            registered_computers=max(peak - 1, 0),
            peak=peak,
            licenses=licenses,
        )
        for week, peak in enumerate(peaks)
    )
    channel = AuditLog.Channel.OFFLINE if method == "offline" else AuditLog.Channel.PROXY
    audit_log_record(
        action="proxy_server.activated",
        channel=channel,
        account=company,
        actor_label=f"installation {name}",
        target=server,
        data={"license_key": key.key, "method": method, "demo": True},
    )
    if deactivated_at:
        audit_log_record(
            action="proxy_server.deactivated",
            channel=channel,
            account=company,
            actor_label=f"installation {name}",
            target=server,
            data={"license_key": key.key, "demo": True},
        )
    return server


def seed(context: dict) -> None:
    company = context.get("company")
    keys = context.get("license_keys")
    if company is None or not keys or len(keys) < 3:
        return  # subscriptions' demo has not run (or changed shape): nothing to attach to
    primary, studio, branch = keys[:3]
    if ProxyServer.objects.filter(account=company, server_name__startswith="pmm-").exists():
        return
    now = timezone.now()
    start = now - timedelta(weeks=WEEKS - 1, hours=3)
    _server(
        company,
        primary,
        name="pmm-old.mycompany.example",
        site="OLD",
        method="online",
        peaks=[6, 7, 7],
        activated_at=start - timedelta(weeks=20),
        deactivated_at=start - timedelta(weeks=17),
    )
    _server(
        company,
        primary,
        name="pmm-hq.mycompany.example",
        site="HQ1",
        method="online",
        peaks=[9, 10, 12, 12, 14, 15, 17, 18],
        activated_at=start,
    )
    _server(
        company,
        studio,
        name="pmm-studio.mycompany.example",
        site="DSG",
        method="offline",
        peaks=[2, 3, 3, 4, 4, 4, 4, 4],
        activated_at=start,
    )
    over = branch.licenses + 2
    _server(
        company,
        branch,
        name="pmm-branch.mycompany.example",
        site="BR1",
        method="online",
        peaks=[over - 5, over - 4, over - 2, over - 1, over, over, over, over],
        activated_at=start,
    )
    if len(keys) > 3:
        _server(
            company,
            keys[3],
            name="pmm-lab.mycompany.example",
            site="LAB",
            method="online",
            peaks=[1, 1, 2, 2],
            activated_at=now - timedelta(weeks=3, hours=3),
        )
    expired = context.get("expired_subscription")
    if expired is not None:
        # Still installed, but its subscription has ended: listed under "Expired".
        _server(
            company,
            expired.license_keys.get(type=LicenseKey.Type.PRIMARY),
            name="pmm-pilot.mycompany.example",
            site="PIL",
            method="online",
            peaks=[3, 4, 4],
            activated_at=now - timedelta(weeks=10),
        )
    context["proxy_servers"] = list(ProxyServer.objects.filter(account=company))
