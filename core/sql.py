"""Queries compiled once per process, run with each call's arguments.

Django compiles a queryset to SQL on every evaluation; for a join of three tables with
``select_related`` and ``FOR UPDATE`` that takes it several times longer than Postgres
takes to run the result (bench/licensing_profile.py: about 1 ms of CPU against 0.1 ms).
The licensing API runs the same few queries for every proxy request, so those are
compiled once: :class:`CompiledQuery` builds its queryset with stand-in arguments,
compiles it on first use, and each call runs that SQL with its own arguments where the
stand-ins stand in the compiled parameters. The SQL is the ORM's own, rows come back as
the ORM makes them (converters, ``select_related`` instances); a stand-in that does not
come out as a parameter (inlined in the SQL) makes it fall back to the ORM on every call.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, router
from django.db.models import Model, Q, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery, UpdateQuery

_names = itertools.count(1)
_PLACEHOLDER = re.compile(r"%s")


class CompiledQuery:
    """``build(**arguments)`` -> a queryset; compiled once per database with
    ``stand_ins`` (one value per argument, of the real argument's type and distinct
    from every constant of the query)."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        first: CompiledInsert | None = None,
        **stand_ins: Any,
    ) -> None:
        self.build = build
        # An INSERT run in the same statement, before the query (a data-modifying WITH):
        # one round trip for both; each call then passes its row as ``first=``.
        self.first = first
        self.stand_ins = stand_ins
        # database alias -> (compiler, SQL, parameters, {position: argument}), or None
        # when the stand-ins do not come out as parameters.
        self._compiled: dict[str, Any] = {}
        self._converters: dict[str, list] = {}
        self._made: dict[str, tuple] = {}
        self._alias: str | None = None
        self.name = f"compiled_query_{next(_names)}"

    def _prepare(self) -> tuple[str, Any]:
        if self._alias is None:
            # The database the ORM would use for it (a FOR UPDATE query: the writer).
            self._alias = self.build(**self.stand_ins).db
        alias = self._alias
        if alias not in self._compiled:
            compiler = self.build(**self.stand_ins).query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            slots: dict[int, str] | None = {}
            for name, stand_in in self.stand_ins.items():
                found = [i for i, p in enumerate(params) if _same(p, stand_in)]
                if not found or str(stand_in) in sql:
                    slots = None
                    break
                slots.update(dict.fromkeys(found, name))
            self._compiled[alias] = (compiler, sql, tuple(params), slots) if slots else None
        return alias, self._compiled[alias]

    def _run(
        self, alias: str, compiled: Any, arguments: dict[str, Any], first: dict | None = None
    ) -> list:
        compiler, sql, template, slots = compiled
        params = [arguments[slots[i]] if i in slots else p for i, p in enumerate(template)]
        connection = connections[alias]
        if self.first is not None:
            insert, insert_params = self.first.statement(alias, first or {})
            sql, params = f"WITH first_insert AS ({insert}) {sql}", [*insert_params, *params]
        with connection.cursor() as cursor:
            _execute(cursor, connection, self.name, sql, params)
            rows = cursor.fetchall()
        # As compiler.results_iter() converts them, with the converters found once.
        converters = self._converters.get(alias)
        if converters is None:
            fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
            if compiler.has_composite_fields(fields):  # pragma: no cover - none here
                return list(compiler.results_iter(results=[rows]))
            converters = self._converters[alias] = compiler.get_converters(fields)
        return list(compiler.apply_converters(rows, converters)) if converters else rows

    def _compiled_for(self, first: dict | None) -> tuple[str, Any]:
        alias, compiled = self._prepare()
        if self.first is not None and (compiled is None or not self.first.statement_ready(alias)):
            # The INSERT on its own first (ORM fallback, or not Postgres).
            self.first.create(**(first or {}))
            return alias, None
        return alias, compiled

    def rows(self, *, first: dict | None = None, **arguments: Any) -> list[tuple]:
        """The rows of a ``values_list()`` query."""
        alias, compiled = self._compiled_for(first)
        if compiled is None:
            return list(self.build(**arguments))
        return [tuple(row) for row in self._run(alias, compiled, arguments, first)]

    def instances(self, *, first: dict | None = None, **arguments: Any) -> list[Model]:
        """The model instances (with their ``select_related`` relations) of the query,
        made as Django's ModelIterable makes them."""
        alias, compiled = self._compiled_for(first)
        if compiled is None:
            return list(self.build(**arguments))
        rows = self._run(alias, compiled, arguments, first)
        compiler = compiled[0]
        made = self._made.get(alias)
        if made is None:
            # What ModelIterable works out for every query, once.
            select, klass_info = compiler.select, compiler.klass_info
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            made = self._made[alias] = (
                klass_info["model"],
                start,
                end,
                [column[0].target.attname for column in select[start:end]],
                get_related_populators(klass_info, select, alias),
            )
        model, start, end, attnames, populators = made
        instances = []
        for row in rows:
            instance = model.from_db(alias, attnames, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in compiler.annotation_col_map.items():
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances


def _execute(cursor: Any, connection: Any, name: str, sql: str, params: list) -> None:
    """Run `sql` with `params`; on Postgres as the connection's prepared statement `name`:
    parsed and planned once (Postgres keeps a generic plan of these index lookups after
    five runs), not for every request. PREPARE goes with the first EXECUTE on each
    connection, in one round trip; a prepared statement outlives a rolled-back
    transaction. If that first round trip fails, whether PREPARE took is asked of
    Postgres before the next use (pg_prepared_statements), so a name is never run
    unprepared nor prepared twice."""
    if connection.vendor != "postgresql" or "%%" in sql or not settings.DB_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    state = getattr(connection, "_compiled_queries_prepared", None)
    if state is None or state[0] is not connection.connection:
        # A new connection (or a reconnection) has none of them yet.
        state = (connection.connection, set(), set())
        connection._compiled_queries_prepared = state
    _, prepared, unsure = state
    if name in unsure:
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
        unsure.discard(name)
        if cursor.fetchone() is not None:
            prepared.add(name)
    count = len(params)
    execute = f"EXECUTE {name}" + (f"({', '.join(['%s'] * count)})" if count else "")
    if name in prepared:
        cursor.execute(execute, params)
        return
    numbered = iter(range(1, count + 1))
    body = _PLACEHOLDER.sub(lambda _: f"${next(numbered)}", sql)
    try:
        cursor.execute(f"PREPARE {name} AS {body}; {execute}", params)
    except Exception:
        unsure.add(name)
        raise
    prepared.add(name)


def _same(param: Any, stand_in: Any) -> bool:
    return type(param) is type(stand_in) and param == stand_in


class CompiledInsert:
    """``model.objects.create(**values)`` with the INSERT compiled once per database (on
    Postgres, a prepared statement): the same columns and the same prepared values as
    Model.save() writes (defaults, ``auto_now_add``, each field's database value), the
    primary key read back with RETURNING. For the rows every licensing request writes;
    no model signal listens to them (none would be sent). Other backends: save().

    ``wrap(insert, quote_name)``, if given, turns the INSERT (which returns the primary
    key) into the statement run, e.g. a data-modifying WITH that writes a second row;
    it must return the primary key of the row inserted."""

    def __init__(
        self, model: type[Model], *, wrap: Callable[[str, Callable[[str], str]], str] | None = None
    ) -> None:
        self.model = model
        self.wrap = wrap
        meta = model._meta
        self.fields = [
            f for f in meta.local_concrete_fields if f not in meta.pk_fields and not f.generated
        ] + [f for f in meta.pk_fields if not f.db_returning]
        self.returning = list(meta.db_returning_fields)
        self.name = f"compiled_insert_{next(_names)}"
        self._compiled: dict[str, Any] = {}

    @staticmethod
    def statement_ready(alias: str) -> bool:
        """Whether this INSERT can run inside another statement on `alias` (Postgres)."""
        connection = connections[alias]
        return (
            connection.vendor == "postgresql" and connection.features.can_return_columns_from_insert
        )

    def statement(self, alias: str, values: dict[str, Any]) -> tuple[str, list]:
        """The INSERT (returning the primary key) of a row of `values` and its
        parameters, to run inside another statement (CompiledQuery's ``first``)."""
        instance = self.model(**values)
        return self._statement(alias, connections[alias], instance)

    def create(self, **values: Any) -> Model:
        instance = self.model(**values)
        alias = router.db_for_write(self.model, instance=instance)
        connection = connections[alias]
        if not self.statement_ready(alias):
            instance.save(force_insert=True, using=alias)
            return instance
        sql, params = self._statement(alias, connection, instance)
        with connection.cursor() as cursor:
            _execute(cursor, connection, self.name, sql, params)
            row = cursor.fetchone()
        for field, value in zip(self.returning, row, strict=True):
            setattr(instance, field.attname, value)
        instance._state.adding = False
        instance._state.db = alias
        return instance

    def _statement(self, alias: str, connection: Any, instance: Model) -> tuple[str, list]:
        compiled = self._compiled.get(alias)
        if compiled is None:
            query = InsertQuery(self.model)
            query.insert_values(self.fields, [instance])
            compiler = query.get_compiler(using=alias)
            compiler.returning_fields = self.returning
            ((sql, _),) = compiler.as_sql()
            if self.wrap is not None:
                sql = self.wrap(sql, connection.ops.quote_name)
            # Each field's two steps, looked up once.
            steps = [(f, f.pre_save, f.get_db_prep_save) for f in self.fields]
            compiled = self._compiled[alias] = (compiler, sql, steps)
        compiler, sql, steps = compiled
        # As SQLInsertCompiler.as_sql prepares each value of a row (pre_save_val, then
        # prepare_value, which only adds the resolving of an expression to the field's
        # get_db_prep_save).
        params = []
        for field, pre_save, prep_save in steps:
            value = pre_save(instance, True)
            if hasattr(value, "resolve_expression"):
                params.append(compiler.prepare_value(field, value))
            else:
                params.append(prep_save(value, connection=connection))
        return sql, params


class CompiledUpdate:
    """``instance.save(update_fields=fields)`` with the UPDATE compiled once per
    database (on Postgres, a prepared statement): the same SET and WHERE as save()
    writes, each value prepared by its field as save() prepares it; a save that matches
    no row raises DatabaseError as save() does. No model signal is sent (none listens)."""

    def __init__(self, model: type[Model], fields: list[str]) -> None:
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        self.name = f"compiled_update_{next(_names)}"
        self._compiled: dict[str, Any] = {}

    def save(self, instance: Model) -> None:
        alias = router.db_for_write(self.model, instance=instance)
        connection = connections[alias]
        values = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in self.fields]
        compiled = self._compiled.get(alias)
        if compiled is None:
            query = UpdateQuery(self.model)
            query.add_update_fields(
                [(f, None, value) for f, value in zip(self.fields, values, strict=True)]
            )
            query.add_q(Q(pk=instance.pk))
            sql, params = query.get_compiler(using=alias).as_sql()
            # SET's values in field order, then the primary key; else save() each time.
            compiled = sql if len(params) == len(values) + 1 and "%%" not in sql else False
            self._compiled[alias] = compiled
        if not compiled:
            instance.save(update_fields=[f.name for f in self.fields], using=alias)
            return
        with connection.cursor() as cursor:
            _execute(cursor, connection, self.name, compiled, [*values, instance.pk])
            if cursor.rowcount != 1:
                raise DatabaseError("Save with update_fields did not affect any rows.")
