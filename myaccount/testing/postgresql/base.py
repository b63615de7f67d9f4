"""Django's PostgreSQL backend for the test suite, emptying tables with DELETE.

A test that commits (``transaction=True``: live servers, workers, threads) is followed
by a flush of every table. Django flushes with one ``TRUNCATE`` of all of them, which on
Postgres costs about a second whatever the tables hold (each table gets new files); the
few rows a test leaves are deleted in milliseconds. Django's foreign keys are deferred
until commit, so the order of the deletes does not matter. Everything else is Django's
backend as production runs it.
"""

from __future__ import annotations

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))}"
            for table in tables
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
