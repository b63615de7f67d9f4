"""Writes of installation state (deactivate, release, delete a sublicense with its
installation), notes and column preferences.

The licensing protocol (`licensing.services`) and the pages and API call these: an
installation changes state in one place, whoever asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, AuditLog, User
from accounts.services import account_admin_check, audit_log_record
from core.locks import deadlock_retry
from proxies.errors import ProxyError
from proxies.models import ProxyListPreference, ProxyServer
from proxies.selectors import COLUMNS_BY_KEY, REQUIRED_COLUMNS, license_key_states
from subscriptions import quota
from subscriptions import services as subscription_services
from subscriptions.models import (
    LicenseKey,
    Subscription,
    license_key_manageable_q,
    license_key_shown,
)

NOTES_MAX_LENGTH = 2000


@deadlock_retry
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
            ProxyServer.objects.select_for_update(no_key=True)
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


@deadlock_retry
def proxy_server_notes_update(
    *, proxy_server: ProxyServer, notes: str, actor: User, channel: str = AuditLog.Channel.WEB
) -> ProxyServer:
    """Save the administrator's free-form notes on a server (audit logged)."""
    notes = notes.replace("\r\n", "\n").strip()[:NOTES_MAX_LENGTH]
    with transaction.atomic():
        # Re-check the role under the account's lock, as every write does: a demotion
        # or block that commits first is seen.
        account_admin_check(actor=actor, account=proxy_server.account, lock=True)
        server = ProxyServer.objects.select_for_update(no_key=True).get(pk=proxy_server.pk)
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
    racing a deactivation); last in the portal's lock order (core/locks.py)."""
    return (
        ProxyServer.objects.select_for_update(of=("self",), no_key=True)
        .select_related("license_key__subscription", "account")
        .get(pk=proxy.pk)
    )


def proxy_server_release(proxy: ProxyServer, *, now: datetime) -> None:
    """The installation lets its key go: the key (and its licenses) is free at once.
    Call it inside the caller's transaction, on a locked row."""
    proxy.status = ProxyServer.Status.DEACTIVATED
    proxy.deactivated_at = now
    proxy.save(update_fields=["status", "deactivated_at"])


@deadlock_retry
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


@deadlock_retry
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


# --- blacklist ------------------------------------------------------------------------


def _blacklisted_sql() -> str:
    table = ProxyServer._meta.db_table

    def column(name: str) -> str:
        return f"{table}.{ProxyServer._meta.get_field(name).column}"

    return (
        f"SELECT 1 FROM {table} WHERE {column('account')} = %s "  # noqa: S608
        f"AND {column('blacklisted_at')} IS NOT NULL AND ({column('installation_id')} = %s "
        f"OR ({column('installation_key_id')} = %s AND {column('installation_public_key')} = %s)) "
        "LIMIT 1"
    )


# Written once, as licensing/reads.py writes the activation's other reads: the ORM built
# this one query anew on every activation, a sixth of the activation's time.
_BLACKLISTED_SQL = _blacklisted_sql()


def installation_blacklisted(
    *, account_id: int, installation_id, public_key: str, key_id: str
) -> bool:
    """Whether the account has blacklisted this installation: by its installation id, or
    by its public key under any id (a reinstall that keeps its key pair). The one check
    the activation (online and offline) asks; one indexed query."""
    alias = router.db_for_read(ProxyServer)
    connection = connections[alias]
    installation = ProxyServer._meta.get_field("installation_id").get_db_prep_value(
        installation_id, connection
    )
    with connection.cursor() as cursor:
        cursor.execute(_BLACKLISTED_SQL, [account_id, installation, key_id, public_key])
        return cursor.fetchone() is not None


@deadlock_retry
def proxy_server_blacklist(
    *,
    proxy_server: ProxyServer,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> ProxyServer:
    """Blacklist an installation: deactivate it as `proxy_server_deactivate` does (an
    online one releases its key at once, an offline one when its deactivation file is
    uploaded) and refuse any later activation of it with any key of the account."""
    now = now or timezone.now()
    with transaction.atomic():
        # An Account Administrator, or a License Administrator of the server's key.
        subscription_services.license_key_manage_check(
            actor=actor, license_key=proxy_server.license_key, lock=True
        )
        proxy = proxy_server_lock(proxy_server)
        if proxy.is_blacklisted:
            raise ProxyError("already_blacklisted")
        proxy = proxy_server_deactivate(
            proxy_server=proxy, actor=actor, channel=channel, reason="blacklisted", now=now
        )
        proxy.blacklisted_at = now
        proxy.save(update_fields=["blacklisted_at"])
        audit_log_record(
            action="proxy_server.blacklisted",
            channel=channel,
            account=proxy.account,
            actor=actor,
            target=proxy,
            data={"installation_id": str(proxy.installation_id)},
        )
    return proxy


@deadlock_retry
def proxy_servers_blacklist(
    *, account: Account, ids: Iterable[int], actor: User, channel: str = AuditLog.Channel.WEB
) -> list[ProxyServer]:
    """Blacklist the account's servers among `ids` (the list's selection), in id order;
    ids of other accounts and servers already blacklisted are skipped. Returns those
    blacklisted now."""
    done: list[ProxyServer] = []
    with transaction.atomic():
        membership = subscription_services.license_key_manager_check(
            actor=actor, account=account, lock=True
        )
        servers = list(
            ProxyServer.objects.filter(
                account=account, id__in=list(ids), blacklisted_at__isnull=True
            )
            .filter(license_key_manageable_q(membership, field="license_key_id"))
            .order_by("id")
        )
        for server in servers:
            server.account = account
            done.append(proxy_server_blacklist(proxy_server=server, actor=actor, channel=channel))
    return done


@deadlock_retry
def proxy_server_unblacklist(
    *,
    proxy_server: ProxyServer,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
) -> ProxyServer:
    """Allow the installation to activate again (it stays deactivated until it does).
    Every entry of the account that blacklists the same installation (by id or by key)
    is lifted, so that the installation really can activate."""
    with transaction.atomic():
        subscription_services.license_key_manage_check(
            actor=actor, license_key=proxy_server.license_key, lock=True
        )
        proxy = proxy_server_lock(proxy_server)
        if not proxy.is_blacklisted:
            raise ProxyError("not_blacklisted")
        ProxyServer.objects.filter(
            account_id=proxy.account_id, blacklisted_at__isnull=False
        ).filter(
            Q(installation_id=proxy.installation_id)
            | Q(
                installation_key_id=proxy.installation_key_id,
                installation_public_key=proxy.installation_public_key,
            )
        ).update(blacklisted_at=None)
        proxy.blacklisted_at = None
        audit_log_record(
            action="proxy_server.unblacklisted",
            channel=channel,
            account=proxy.account,
            actor=actor,
            target=proxy,
            data={"installation_id": str(proxy.installation_id)},
        )
    return proxy


# --- move to another license key -------------------------------------------------------


def _room_check(*, proxy: ProxyServer, target: LicenseKey, today: date) -> None:
    """The target key takes the server's registered computers by the pool rule
    (subscriptions.quota): refused, with the numbers, when it would go over its own
    quota or its subscription's pool. The source key's licenses go back (to the same
    pool when both keys share a subscription)."""
    computers = proxy.registered_computers
    states = []
    for pooled in license_key_states(
        LicenseKey.objects.filter(subscription_id=target.subscription_id), today=today
    ):
        state = pooled.state
        if state.id == proxy.license_key_id:
            state = replace(state, used=state.used - computers)
        elif state.id == target.pk:
            state = replace(state, used=state.used + computers)
        states.append(state)
    [after] = [
        quota.key_availability(target.subscription.licenses, states, s)
        for s in states
        if s.id == target.pk
    ]
    if not after.over_limit:
        return
    if after.shared_pool:
        raise ProxyError("move_over_pool", computers=computers, vacant=after.vacant + computers)
    raise ProxyError(
        "move_over_quota", computers=computers, limit=after.limit, in_use=after.in_use - computers
    )


@deadlock_retry
def proxy_server_move(
    *,
    proxy_server: ProxyServer,
    license_key: LicenseKey,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> ProxyServer:
    """Move an activated installation to another license key of its account. The usage
    history stays with the server; an online proxy learns its new key at its next
    refresh (the answer names the key it holds), an offline one from the subscription
    information file its next refresh request gets on the Offline page.

    Locks in the portal's order, account -> subscription -> key -> installation (both
    subscriptions and both keys in id order), so that an activation of the target key,
    a sublicense change or a concurrent move of either key waits, and the room counted
    here is still there when the move commits."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        account = proxy_server.account
        # The actor manages both keys: an Account Administrator, or a License
        # Administrator of the server's key and of the target.
        subscription_services.license_key_manage_check(
            actor=actor, license_key=proxy_server.license_key, lock=True
        )
        if license_key.subscription.account_id == account.pk:
            subscription_services.license_key_manage_check(actor=actor, license_key=license_key)
        target_id = license_key.pk
        # The key it holds now (read before the keys are locked: the order is key, then
        # installation); a move of it committed in between is seen below and refused.
        source_id = (
            ProxyServer.objects.filter(pk=proxy_server.pk)
            .values_list("license_key_id", flat=True)
            .first()
        )
        subscription_ids = set(
            LicenseKey.objects.filter(
                pk__in=[source_id, target_id], subscription__account=account
            ).values_list("subscription_id", flat=True)
        )
        list(
            Subscription.objects.select_for_update(no_key=True)
            .filter(pk__in=subscription_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        keys = {
            key.pk: key
            for key in LicenseKey.objects.select_for_update(of=("self",), no_key=True)
            .select_related("subscription")
            .filter(pk__in=[source_id, target_id], subscription__account=account)
            .order_by("pk")
        }
        proxy = proxy_server_lock(proxy_server)
        target = keys.get(target_id)
        if target is None:
            raise ProxyError("move_key_unavailable")
        if proxy.status != ProxyServer.Status.ACTIVE:
            raise ProxyError("move_not_active")
        if proxy.license_key_id != source_id:
            raise ProxyError("move_changed")  # pragma: no cover - a move in between
        if target.pk == proxy.license_key_id:
            raise ProxyError("move_same_key")
        if not target.is_live(today=today) or (
            target.subscription.period(today=today) != Subscription.PERIOD_ACTIVE
        ):
            raise ProxyError("move_key_unavailable")
        if target.subscription.product_id != proxy.license_key.subscription.product_id:
            raise ProxyError("move_other_product")
        if proxy.method == ProxyServer.Method.OFFLINE and not target.subscription.offline_allowed:
            raise ProxyError("move_offline_not_allowed")
        if ProxyServer.objects.filter(
            license_key=target, status__in=ProxyServer.HOLDING_STATUSES
        ).exists():
            raise ProxyError("move_key_in_use")
        _room_check(proxy=proxy, target=target, today=today)
        source = proxy.license_key
        proxy.license_key = target
        proxy.save(update_fields=["license_key"])
        audit_log_record(
            action="proxy_server.moved",
            channel=channel,
            account=account,
            actor=actor,
            target=proxy,
            data={
                "from_license_key": license_key_shown(source.key, viewer=None),
                "from_license_key_id": source.pk,
                "license_key": license_key_shown(target.key, viewer=None),
                "license_key_id": target.pk,
            },
        )
    return proxy
