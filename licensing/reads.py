"""The rows every licensing request reads, in plain SQL through ``Manager.raw()``.

Django builds the SQL of a queryset anew each time it runs: for the joins these reads
need (an installation with its key, subscription and account, locked) that took it
five to ten times longer than Postgres takes to answer (bench/licensing_profile.py),
on every proxy request. ``raw()`` is the ORM's documented door for SQL written by
hand: it runs the text as it is and makes model instances of the rows with each
field's conversions, on Postgres as on SQLite. The SQL only selects rows; every rule
applied to them stays in Python (licensing.services, the models).

A key comes with its subscription and account from one statement: their columns ride
along the key's row and are made into instances with ``Model.from_db`` (Django's own
hook for loading an instance), without the datetime columns (which only the ORM's
converters make timezone-aware on SQLite): those stay deferred, loaded if ever read. An
installation comes with its key, subscription and account the same way, its key whole
(its datetimes through the ORM's converters): one statement for a refresh, usage report
or deactivation to find and lock what it works on.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from django.db import connections, router
from django.db.models import DateTimeField, Model

from accounts.models import Account
from proxies.models import ProxyServer, UsageReport
from subscriptions.models import LicenseKey, Subscription

HOLDING = ProxyServer.HOLDING_STATUSES


def _table(model: type[Model]) -> str:
    return model._meta.db_table


def _column(model: type[Model], name: str) -> str:
    return f"{_table(model)}.{model._meta.get_field(name).column}"


def _pk(model: type[Model]) -> str:
    return f"{_table(model)}.{model._meta.pk.column}"


def _riders(model: type[Model]) -> list[str]:
    """The attributes of `model` that ride along another model's row: every concrete
    field but the datetimes (see the module)."""
    return [f.attname for f in model._meta.concrete_fields if not isinstance(f, DateTimeField)]


_SUBSCRIPTION = _riders(Subscription)
_ACCOUNT = _riders(Account)


def _riders_sql() -> tuple[str, str]:
    """The columns of a key's subscription and account that ride along a row that has
    the key joined (s_<attname>, a_<attname>), and the joins that reach them."""
    subscription, account = (_table(m) for m in (Subscription, Account))
    riders = [
        *(
            f"{subscription}.{Subscription._meta.get_field(a).column} AS s_{a}"
            for a in _SUBSCRIPTION
        ),
        *(f"{account}.{Account._meta.get_field(a).column} AS a_{a}" for a in _ACCOUNT),
    ]
    joins = (
        f"JOIN {subscription} ON {_pk(Subscription)} = {_column(LicenseKey, 'subscription')} "
        f"LEFT JOIN {account} ON {_pk(Account)} = {_column(Subscription, 'account')} "
    )
    return ", ".join(riders), joins


def _key_sql() -> str:
    riders, joins = _riders_sql()
    return f"SELECT {_table(LicenseKey)}.*, {riders} FROM {_table(LicenseKey)} {joins}"  # noqa: S608


_KEY_SQL = _key_sql()


def _for_update(alias: str, table: str) -> str:
    """The row lock, where the database has one (as select_for_update(no_key=True): SQLite
    has none, its writes are serialised anyway). FOR NO KEY UPDATE, in the portal's lock
    order (core/locks.py): the inserts that point at a locked row still pass."""
    features = connections[alias].features
    if not features.has_select_for_update:
        return ""
    lock = " FOR NO KEY UPDATE" if features.has_select_for_no_key_update else " FOR UPDATE"
    return f"{lock} OF {table}" if features.has_select_for_update_of else lock


def _key_with_subscription(key: LicenseKey, row: Model | None = None) -> LicenseKey:
    """`key` with its subscription and account, made of the columns that rode along
    `row` (the key's own row unless given)."""
    row = row if row is not None else key
    db = key._state.db
    subscription = Subscription.from_db(
        db, _SUBSCRIPTION, [getattr(row, f"s_{a}") for a in _SUBSCRIPTION]
    )
    if subscription.account_id is not None:
        subscription.account = Account.from_db(
            db, _ACCOUNT, [getattr(row, f"a_{a}") for a in _ACCOUNT]
        )
    key.subscription = subscription
    return key


def license_key_read(
    *, key: str | None = None, pk: int | None = None, lock: bool
) -> LicenseKey | None:
    """The license key `key` (or with primary key `pk`) with its subscription and its
    account; with `lock`, the key's row locked until the transaction ends."""
    alias = router.db_for_write(LicenseKey) if lock else router.db_for_read(LicenseKey)
    where = _column(LicenseKey, "key") if key is not None else _pk(LicenseKey)
    sql = f"{_KEY_SQL}WHERE {where} = %s"
    if lock:
        sql += _for_update(alias, _table(LicenseKey))
    found = list(LicenseKey.objects.using(alias).raw(sql, [key if key is not None else pk]))
    return _key_with_subscription(found[0]) if found else None


def _uuid(value: uuid.UUID, alias: str) -> object:
    return ProxyServer._meta.get_field("installation_id").get_db_prep_value(
        value, connections[alias]
    )


# Every column of the key rides along an installation's row (k_<attname>): its
# datetimes too, converted as the ORM converts them (on SQLite they are text).
_KEY_FIELDS = list(LicenseKey._meta.concrete_fields)


def _installation_sql() -> str:
    proxy, key = _table(ProxyServer), _table(LicenseKey)
    riders, joins = _riders_sql()
    key_columns = ", ".join(f"{key}.{f.column} AS k_{f.attname}" for f in _KEY_FIELDS)
    return (
        f"SELECT {proxy}.*, {key_columns}, {riders} FROM {proxy} "  # noqa: S608
        f"JOIN {key} ON {_pk(LicenseKey)} = {_column(ProxyServer, 'license_key')} {joins}"
        f"WHERE {_column(ProxyServer, 'installation_id')} = %s "
        f"ORDER BY {_column(ProxyServer, 'activated_at')} DESC, {_pk(ProxyServer)} DESC LIMIT 1"
    )


_INSTALLATION_SQL = _installation_sql()


def _key_of(proxy: ProxyServer) -> LicenseKey:
    """The key whose columns rode along the installation's row, with its subscription
    and account."""
    db = proxy._state.db
    connection = connections[db]
    values = []
    for field in _KEY_FIELDS:
        value = getattr(proxy, f"k_{field.attname}")
        if isinstance(field, DateTimeField):
            # The converters the ORM's compiler applies to the column: the backend's,
            # then the field's.
            column = field.get_col(_table(LicenseKey))
            converters = connection.ops.get_db_converters(column)
            for convert in [*converters, *column.get_db_converters(connection)]:
                value = convert(value, column, connection)
        values.append(value)
    key = LicenseKey.from_db(db, [f.attname for f in _KEY_FIELDS], values)
    return _key_with_subscription(key, proxy)


def installation_latest(installation_id: uuid.UUID, *, lock: bool) -> ProxyServer | None:
    """The latest activation of an installation, with its key, subscription and account,
    in one read; with `lock` its row stays locked (serialises the requests of one
    installation, a refresh racing a deactivation; the key is not locked)."""
    alias = router.db_for_write(ProxyServer) if lock else router.db_for_read(ProxyServer)
    sql = _INSTALLATION_SQL
    if lock:
        sql += _for_update(alias, _table(ProxyServer))
    found = list(ProxyServer.objects.using(alias).raw(sql, [_uuid(installation_id, alias)]))
    if not found:
        return None
    proxy = found[0]
    key = _key_of(proxy)
    proxy.license_key = key
    if key.subscription.account_id == proxy.account_id:
        proxy.account = key.subscription.account
    return proxy


def installation_and_holder(installation_id: uuid.UUID, license_key_id: int) -> list[ProxyServer]:
    """Every activation of the installation, and the one holding the key, in one read."""
    alias = router.db_for_write(ProxyServer)
    table = _table(ProxyServer)
    holding = ", ".join(["%s"] * len(HOLDING))
    sql = (
        f"SELECT * FROM {table} WHERE {_column(ProxyServer, 'installation_id')} = %s "  # noqa: S608
        f"OR ({_column(ProxyServer, 'license_key')} = %s "
        f"AND {_column(ProxyServer, 'status')} IN ({holding})) ORDER BY {_pk(ProxyServer)}"
    )
    params: Sequence[object] = [_uuid(installation_id, alias), license_key_id, *HOLDING]
    return list(ProxyServer.objects.using(alias).raw(sql, params))


def usage_reports_from(proxy: ProxyServer, day: date) -> list[UsageReport]:
    """The installation's report of `day` and of the next day that has one, if any (at
    most one row per day: the first two from that day tell both)."""
    table = _table(UsageReport)
    sql = (
        f"SELECT * FROM {table} WHERE {_column(UsageReport, 'proxy_server')} = %s "  # noqa: S608
        f"AND {_column(UsageReport, 'date')} >= %s "
        f"ORDER BY {_column(UsageReport, 'date')} LIMIT 2"
    )
    alias = router.db_for_write(UsageReport)
    day_value = UsageReport._meta.get_field("date").get_db_prep_value(day, connections[alias])
    return list(UsageReport.objects.using(alias).raw(sql, [proxy.pk, day_value]))
