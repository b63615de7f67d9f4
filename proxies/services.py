"""Writes of installation state (deactivate, release, delete a sublicense with its
installation), notes and column preferences.

The licensing protocol (`licensing.services`) and the pages and API call these: an
installation changes state in one place, whoever asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AuditLog, User
from accounts.services import account_admin_check, audit_log_record
from proxies.models import ProxyListPreference, ProxyServer
from proxies.selectors import COLUMNS_BY_KEY, REQUIRED_COLUMNS
from subscriptions import services as subscription_services
from subscriptions.models import LicenseKey, license_key_manageable_q, license_key_shown

NOTES_MAX_LENGTH = 2000


def proxy_servers_deactivate(
    *, account: Account, ids: Iterable[int], actor: User, channel: str = AuditLog.Channel.WEB
) -> list[ProxyServer]:
    """Deactivate the account's servers among `ids`; ids of other accounts are ignored,
    and so are, for a License Administrator, the servers of keys they do not administer.

    Returns the servers whose status changed (deactivated, or deactivation pending for
    one activated offline). Servers already there are skipped, so a second click (or a
    double submit) changes nothing.
    """
    done: list[ProxyServer] = []
    with transaction.atomic():
        membership = subscription_services.license_key_manager_check(
            actor=actor, account=account, lock=True
        )
        # Lock the rows (in id order, so two admins never deadlock) before checking
        # their status: a concurrent refresh or deactivation waits for us.
        servers = list(
            ProxyServer.objects.select_for_update()
            .filter(account=account, id__in=list(ids))
            .filter(license_key_manageable_q(membership, field="license_key_id"))
            .exclude(status=ProxyServer.Status.DEACTIVATED)
            .order_by("id")
        )
        for server in servers:
            before = server.status
            result = proxy_server_deactivate(proxy_server=server, actor=actor, channel=channel)
            if result.status != before:
                done.append(result)
    return done


def proxy_server_notes_update(
    *, proxy_server: ProxyServer, notes: str, actor: User, channel: str = AuditLog.Channel.WEB
) -> ProxyServer:
    """Save the administrator's free-form notes on a server (audit logged)."""
    notes = notes.replace("\r\n", "\n").strip()[:NOTES_MAX_LENGTH]
    with transaction.atomic():
        # Re-check the role under the account's lock, as every write does: a demotion
        # or block that commits first is seen.
        account_admin_check(actor=actor, account=proxy_server.account, lock=True)
        server = ProxyServer.objects.select_for_update().get(pk=proxy_server.pk)
        if server.notes == notes:
            return server
        before = server.notes
        server.notes = notes
        server.save(update_fields=["notes"])
        audit_log_record(
            account=server.account,
            actor=actor,
            channel=channel,
            action="proxy_server.notes_updated",
            target=server,
            data={"before": before[:200], "after": notes[:200]},
        )
    return server


def proxy_list_columns_save(*, user: User, columns: Iterable[str]) -> list[str]:
    """Keep the columns a user picked with the gear; unknown keys are dropped."""
    picked = {c for c in columns if c in COLUMNS_BY_KEY} | set(REQUIRED_COLUMNS)
    ordered = [key for key in COLUMNS_BY_KEY if key in picked]
    ProxyListPreference.objects.update_or_create(user=user, defaults={"columns": ordered})
    return ordered


# --- installation state ---------------------------------------------------------------


def proxy_server_lock(proxy: ProxyServer) -> ProxyServer:
    """Re-read the installation under a row lock: serialises its changes (a refresh
    racing a deactivation)."""
    return (
        ProxyServer.objects.select_for_update(of=("self",))
        .select_related("license_key__subscription", "account")
        .get(pk=proxy.pk)
    )


def proxy_server_release(proxy: ProxyServer, *, now: datetime) -> None:
    """The installation lets its key go: the key (and its licenses) is free at once.
    Call it inside the caller's transaction, on a locked row."""
    proxy.status = ProxyServer.Status.DEACTIVATED
    proxy.deactivated_at = now
    proxy.save(update_fields=["status", "deactivated_at"])


def proxy_server_deactivate(
    *,
    proxy_server: ProxyServer,
    actor: User | None,
    channel: str = AuditLog.Channel.WEB,
    reason: str = "administrator",
    now: datetime | None = None,
) -> ProxyServer:
    """Deactivate an installation from the portal.

    The installation learns it at its next refresh (the answer's status is
    "deactivated"). An online installation releases its key at once. An installation
    activated offline never talks to us, so its key stays taken ("Deactivation
    pending") until its deactivation request file is uploaded: otherwise a second
    installation could activate the key while the first still runs (DESIGN.md).
    A deleted sublicense is released at once whatever the method: nothing can use
    it again. Doing it twice does no harm.
    """
    now = now or timezone.now()
    with transaction.atomic():
        proxy = proxy_server_lock(proxy_server)
        if not proxy.holds_key:
            return proxy
        offline_pending = proxy.method == ProxyServer.Method.OFFLINE and reason != "key_deleted"
        if offline_pending:
            if proxy.status == ProxyServer.Status.DEACTIVATING:
                return proxy
            proxy.status = ProxyServer.Status.DEACTIVATING
            proxy.save(update_fields=["status"])
            action = "proxy_server.deactivation_requested"
        else:
            proxy_server_release(proxy, now=now)
            action = "proxy_server.deactivated"
        audit_log_record(
            action=action,
            channel=channel,
            account=proxy.account,
            actor=actor,
            target=proxy,
            data={
                "license_key": license_key_shown(proxy.license_key.key, viewer=None),
                "reason": reason,
            },
        )
    return proxy


def proxy_server_deactivate_for_key(
    *,
    license_key: LicenseKey,
    actor: User | None,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> ProxyServer | None:
    """Deactivate the installation that holds ``license_key``, if any (its sublicense
    is being deleted): released at once, whatever the method."""
    holder = ProxyServer.objects.filter(
        license_key=license_key, status__in=ProxyServer.HOLDING_STATUSES
    ).first()
    if holder is None:
        return None
    return proxy_server_deactivate(
        proxy_server=holder, actor=actor, channel=channel, reason="key_deleted", now=now
    )


def sublicense_delete(
    *,
    license_key: LicenseKey,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> LicenseKey:
    """Delete a sublicense and deactivate the installation that uses it (DESIGN.md), in
    one transaction: the key and its installation change together or not at all.
    Pages, the API and the admin call this, never the half in `subscriptions`."""
    now = now or timezone.now()
    with transaction.atomic():
        key = subscription_services.sublicense_mark_deleted(
            license_key=license_key, actor=actor, channel=channel, now=now
        )
        proxy_server_deactivate_for_key(license_key=key, actor=actor, channel=channel, now=now)
    return key
