"""Writes for the Proxy Servers page: deactivation, notes, column preferences."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Account, AuditLog, User
from accounts.services import audit_log_record, is_account_admin

# Deactivation goes through the licensing service: it releases the key, tells the
# installation at its next refresh and records who did it in the audit log.
from licensing.services import proxy_server_deactivate
from proxies.models import ProxyListPreference, ProxyServer
from proxies.selectors import COLUMNS_BY_KEY, REQUIRED_COLUMNS

NOTES_MAX_LENGTH = 2000


def proxy_servers_deactivate(
    *, account: Account, ids: Iterable[int], actor: User, channel: str = AuditLog.Channel.WEB
) -> list[ProxyServer]:
    """Deactivate the account's servers among `ids`; ids of other accounts are ignored.

    Returns the servers whose status changed (deactivated, or deactivation pending for
    one activated offline). Servers already there are skipped, so a second click (or a
    double submit) changes nothing.
    """
    done: list[ProxyServer] = []
    with transaction.atomic():
        if not is_account_admin(user=actor, account=account, lock=True):
            raise PermissionDenied("Only an Account Administrator can do this.")
        # Lock the rows (in id order, so two admins never deadlock) before checking
        # their status: a concurrent refresh or deactivation waits for us.
        servers = list(
            ProxyServer.objects.select_for_update()
            .filter(account=account, id__in=list(ids))
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
