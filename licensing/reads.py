"""The rows every licensing request reads, in plain SQL written once, through a cursor.

Django builds the SQL of a queryset anew each time it runs: for the joins these reads
need (an installation with its key, subscription and account, locked) that took it
five to ten times longer than Postgres takes to answer (bench/licensing_profile.py),
on every proxy request; ``Manager.raw()`` still maps the columns a statement answers to
the model's fields anew on each call. Each statement here is written once from the
models' public ``_meta`` (as proxies/services.py's blacklist check is), names its
columns in the order of the models' fields, and runs on a cursor; each row's values
become instances through ``Model.from_db`` (Django's own hook for loading an instance)
after the converters the ORM's compiler applies to each column on that connection (the
backend's, then the field's: on SQLite a datetime is text, a boolean 0 or 1), found
once per connection. On Postgres as on SQLite. The SQL only selects rows; every rule
applied to them stays in Python (licensing.services, the models).

A key comes with its subscription and account from one statement, without their
datetime columns (which stay deferred, loaded if ever read). An installation comes
with its key, subscription and account the same way, its key whole: one statement for
a refresh, usage report or deactivation to find and lock what it works on.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.db import connections, router
from django.db.models import DateTimeField, Field, Model

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


class _Part:
    """The columns of one model that a statement answers side by side, and how they
    become an instance of it."""

    def __init__(self, model: type[Model], fields: Sequence[Field]) -> None:
        self.model = model
        self.fields = list(fields)
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        # Per connection: (position, column, its converters) of each column that has any.
        self._converters: weakref.WeakKeyDictionary[Any, list] = weakref.WeakKeyDictionary()

    def columns(self) -> str:
        table = _table(self.model)
        return ", ".join(f"{table}.{f.column}" for f in self.fields)

    def _converters_on(self, connection: Any) -> list[tuple[int, Any, list[Callable]]]:
        found = self._converters.get(connection)
        if found is None:
            found = []
            for position, field in enumerate(self.fields):
                # What the ORM's compiler applies to the column: the backend's, the field's.
                column = field.get_col(_table(self.model))
                converters = [
                    *connection.ops.get_db_converters(column),
                    *column.get_db_converters(connection),
                ]
                if converters:
                    found.append((position, column, converters))
            self._converters[connection] = found
        return found

    def instance(self, row: Sequence[Any], start: int, alias: str) -> Model:
        values = list(row[start : start + self.width])
        connection = connections[alias]
        for position, column, converters in self._converters_on(connection):
            for convert in converters:
                values[position] = convert(values[position], column, connection)
        return self.model.from_db(alias, self.attnames, values)


def _fields(model: type[Model], *, datetimes: bool = True) -> list[Field]:
    return [f for f in model._meta.concrete_fields if datetimes or not isinstance(f, DateTimeField)]


# A key's subscription and account ride along another model's row without their
# datetimes (see the module).
_KEY = _Part(LicenseKey, _fields(LicenseKey))
_PROXY = _Part(ProxyServer, _fields(ProxyServer))
_REPORT = _Part(UsageReport, _fields(UsageReport))
_SUBSCRIPTION = _Part(Subscription, _fields(Subscription, datetimes=False))
_ACCOUNT = _Part(Account, _fields(Account, datetimes=False))


def _rows(alias: str, sql: str, params: Sequence[object]) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_JOINS = (
    f"JOIN {_table(Subscription)} ON {_pk(Subscription)} = {_column(LicenseKey, 'subscription')} "
    f"LEFT JOIN {_table(Account)} ON {_pk(Account)} = {_column(Subscription, 'account')} "
)
_KEY_SQL = (
    f"SELECT {_KEY.columns()}, {_SUBSCRIPTION.columns()}, {_ACCOUNT.columns()} "  # noqa: S608
    f"FROM {_table(LicenseKey)} {_JOINS}"
)


def _for_update(alias: str, table: str) -> str:
    """The row lock, where the database has one (as select_for_update(no_key=True): SQLite
    has none, its writes are serialised anyway). FOR NO KEY UPDATE, in the portal's lock
    order (core/locks.py): the inserts that point at a locked row still pass."""
    features = connections[alias].features
    if not features.has_select_for_update:
        return ""
    lock = " FOR NO KEY UPDATE" if features.has_select_for_no_key_update else " FOR UPDATE"
    return f"{lock} OF {table}" if features.has_select_for_update_of else lock


def _key_with_subscription(row: Sequence[Any], start: int, alias: str) -> LicenseKey:
    """The key whose columns start at `start` of `row`, with its subscription and
    account, whose columns follow."""
    key = _KEY.instance(row, start, alias)
    start += _KEY.width
    subscription = _SUBSCRIPTION.instance(row, start, alias)
    if subscription.account_id is not None:
        subscription.account = _ACCOUNT.instance(row, start + _SUBSCRIPTION.width, alias)
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
    found = _rows(alias, sql, [key if key is not None else pk])
    return _key_with_subscription(found[0], 0, alias) if found else None


def _uuid(value: uuid.UUID, alias: str) -> object:
    return ProxyServer._meta.get_field("installation_id").get_db_prep_value(
        value, connections[alias]
    )


_INSTALLATION_SQL = (
    f"SELECT {_PROXY.columns()}, {_KEY.columns()}, {_SUBSCRIPTION.columns()}, "  # noqa: S608
    f"{_ACCOUNT.columns()} FROM {_table(ProxyServer)} "
    f"JOIN {_table(LicenseKey)} ON {_pk(LicenseKey)} = {_column(ProxyServer, 'license_key')} "
    f"{_JOINS}WHERE {_column(ProxyServer, 'installation_id')} = %s "
    f"ORDER BY {_column(ProxyServer, 'activated_at')} DESC, {_pk(ProxyServer)} DESC LIMIT 1"
)


def installation_latest(installation_id: uuid.UUID, *, lock: bool) -> ProxyServer | None:
    """The latest activation of an installation, with its key, subscription and account,
    in one read; with `lock` its row stays locked (serialises the requests of one
    installation, a refresh racing a deactivation; the key is not locked)."""
    alias = router.db_for_write(ProxyServer) if lock else router.db_for_read(ProxyServer)
    sql = _INSTALLATION_SQL
    if lock:
        sql += _for_update(alias, _table(ProxyServer))
    found = _rows(alias, sql, [_uuid(installation_id, alias)])
    if not found:
        return None
    proxy = _PROXY.instance(found[0], 0, alias)
    key = _key_with_subscription(found[0], _PROXY.width, alias)
    proxy.license_key = key
    if key.subscription.account_id == proxy.account_id:
        proxy.account = key.subscription.account
    return proxy


_HOLDING_SQL = (
    f"SELECT {_PROXY.columns()} FROM {_table(ProxyServer)} "  # noqa: S608
    f"WHERE {_column(ProxyServer, 'installation_id')} = %s "
    f"OR ({_column(ProxyServer, 'license_key')} = %s "
    f"AND {_column(ProxyServer, 'status')} IN ({', '.join(['%s'] * len(HOLDING))})) "
    f"ORDER BY {_pk(ProxyServer)}"
)


def installation_and_holder(installation_id: uuid.UUID, license_key_id: int) -> list[ProxyServer]:
    """Every activation of the installation, and the one holding the key, in one read."""
    alias = router.db_for_write(ProxyServer)
    params: Sequence[object] = [_uuid(installation_id, alias), license_key_id, *HOLDING]
    return [_PROXY.instance(row, 0, alias) for row in _rows(alias, _HOLDING_SQL, params)]


_REPORTS_SQL = (
    f"SELECT {_REPORT.columns()} FROM {_table(UsageReport)} "  # noqa: S608
    f"WHERE {_column(UsageReport, 'proxy_server')} = %s "
    f"AND {_column(UsageReport, 'date')} >= %s "
    f"ORDER BY {_column(UsageReport, 'date')} LIMIT 2"
)


def usage_reports_from(proxy: ProxyServer, day: date) -> list[UsageReport]:
    """The installation's report of `day` and of the next day that has one, if any (at
    most one row per day: the first two from that day tell both)."""
    alias = router.db_for_write(UsageReport)
    day_value = UsageReport._meta.get_field("date").get_db_prep_value(day, connections[alias])
    return [
        _REPORT.instance(row, 0, alias) for row in _rows(alias, _REPORTS_SQL, [proxy.pk, day_value])
    ]
