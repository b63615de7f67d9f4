"""core.sql.CompiledQuery: compiled once, run with each call's arguments, and the
rows and instances it gives are the ORM's own."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from core.sql import CompiledInsert, CompiledQuery, CompiledUpdate
from tests import factories

pytestmark = pytest.mark.django_db


def memberships(account_id: int):
    return (
        Membership.objects.select_related("user", "account")
        .filter(account_id=account_id, status=Membership.Status.ACTIVE)
        .order_by("user__email")
    )


def counts(account_id: int):
    return (
        Membership.objects.filter(account_id=account_id)
        .values("role")
        .annotate(n=Count("id"))
        .order_by("role")
        .values_list("role", "n")
    )


def test_the_instances_are_the_orms_with_their_relations(company, other_company, alice, bob):
    query = CompiledQuery(memberships, account_id=-1)
    for account in (company, other_company, company):
        found = query.instances(account_id=account.id)
        expected = list(memberships(account.id))
        assert found == expected
        assert [(m.user.email, m.account.name) for m in found] == [
            (m.user.email, m.account.name) for m in expected
        ]
        assert all(not m._state.adding and m._state.db == "default" for m in found)


def test_the_rows_are_the_orms(company, alice, bob):
    query = CompiledQuery(counts, account_id=-1)
    assert query.rows(account_id=company.id) == list(counts(company.id))
    assert query.rows(account_id=-42) == []


def test_it_is_compiled_once_and_runs_one_query_per_call(company, alice, monkeypatch):
    query = CompiledQuery(memberships, account_id=-1)
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or as_sql(self, *a, **k)
    )
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert len(query.instances(account_id=company.id)) == 1
    assert len(compiled) == 1
    assert len(queries) == 3


def test_a_locking_query_locks(company, alice):
    query = CompiledQuery(
        lambda account_id: memberships(account_id).select_for_update(), account_id=-1
    )
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert len(query.instances(account_id=company.id)) == 1
    assert "FOR UPDATE" in queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_postgres_parses_and_plans_it_once_per_connection(company, alice):
    query = CompiledQuery(memberships, account_id=-1)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(2):
            assert len(query.instances(account_id=company.id)) == 1
    first, second = (q["sql"] for q in queries)
    assert first.startswith(f"PREPARE {query.name} AS SELECT")
    assert second == f"EXECUTE {query.name}({company.id}, 'active')"
    # A new connection prepares it again.
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert len(query.instances(account_id=company.id)) == 1
    assert queries[0]["sql"].startswith(f"PREPARE {query.name} AS SELECT")


def test_a_stand_in_the_sql_does_not_take_as_a_parameter_falls_back_to_the_orm(company, alice):
    # Django writes a boolean constant into the SQL: the stand-in is not a parameter.
    query = CompiledQuery(
        lambda active: Membership.objects.filter(user__is_active=active), active=False
    )
    assert query.instances(active=True) == list(Membership.objects.filter(user__is_active=True))
    assert query.instances(active=False) == []
    assert query._compiled == {"default": None}  # no SQL kept: the ORM ran each call


def test_an_insert_writes_what_save_writes(company, bob):
    insert = CompiledInsert(Membership)
    third = factories.business_account_create("Third Corp")
    with CaptureQueriesContext(connection) as queries:
        made = insert.create(user=bob, account=third, role=Membership.Role.ADMIN)
    assert len(queries) == 1
    assert queries[0]["sql"].startswith(f"PREPARE {insert.name} AS INSERT")
    assert made.pk is not None and not made._state.adding
    stored = Membership.objects.get(pk=made.pk)
    for field in Membership._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(made, field.attname), field.name
    assert stored.status == Membership.Status.ACTIVE  # the model's default


def test_an_insert_that_breaks_a_constraint_raises_integrity_error(company, bob):
    insert = CompiledInsert(Membership)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert.create(user=bob, account=company, role=Membership.Role.MEMBER)
    # That first round trip prepared it, then failed: Postgres is asked, not assumed.
    third = factories.business_account_create("Third Corp")
    with CaptureQueriesContext(connection) as queries:
        made = insert.create(user=bob, account=third, role=Membership.Role.MEMBER)
    assert [q["sql"].split()[0] for q in queries] == ["SELECT", "EXECUTE"]
    assert Membership.objects.get(pk=made.pk).account == third


def test_an_update_writes_what_save_writes(company, alice, bob):
    update = CompiledUpdate(Membership, ["role", "notes"])
    first, second = Membership.objects.filter(account=company).order_by("pk")
    for membership, notes in ((first, "first"), (second, "second")):
        membership.role, membership.notes = Membership.Role.MEMBER, notes
        with CaptureQueriesContext(connection) as queries:
            update.save(membership)
        assert len(queries) == 1
        stored = Membership.objects.get(pk=membership.pk)
        assert (stored.role, stored.notes) == ("member", notes)
    assert Membership.objects.get(pk=first.pk).notes == "first"  # each its own row


def test_an_update_of_a_row_that_is_gone_raises_as_save_does(company, alice):
    membership = Membership.objects.get(account=company, user=alice)
    Membership.objects.filter(pk=membership.pk).delete()
    with pytest.raises(DatabaseError):
        CompiledUpdate(Membership, ["notes"]).save(membership)


def _prepared_here(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
        return cursor.fetchone() is not None


@pytest.mark.parametrize("prepared", [True, False])
def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(
    settings, company, alice, prepared
):
    settings.DB_PREPARED_STATEMENTS = prepared
    query = CompiledQuery(memberships, account_id=-1)

    found = query.instances(account_id=company.id)

    assert [m.user.email for m in found] == ["alice@example.com"]
    assert _prepared_here(query.name) is prepared
