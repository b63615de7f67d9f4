"""Two administrators demoting each other at the same moment leave the account one admin.

Real Postgres, real threads, real transactions: the account row lock serialises the
check-then-act, so the second demotion counts again and is refused.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts import services
from accounts.models import Membership
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(alice, bob, company, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need Postgres")
    Membership.objects.filter(user=bob, account=company).update(role=Membership.Role.ADMIN)
    alice_m = Membership.objects.get(user=alice, account=company)
    bob_m = Membership.objects.get(user=bob, account=company)

    count = services._other_active_admins
    backend_pids: dict[str, int] = {}
    counted: set[str] = set()

    def blocked_by(waiting: str, holder: str) -> bool:
        """The demotion `waiting` waits for a lock that `holder`'s transaction holds."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT %s = ANY(pg_blocking_pids(%s))",
                [backend_pids[holder], backend_pids[waiting]],
            )
            return cursor.fetchone()[0]

    def slow_count(**kwargs):
        # Hold the window between counting and writing open until the other demotion
        # has counted too, or waits for this one's lock: without the lock both
        # transactions would count one other admin here and both would demote.
        result = count(**kwargs)
        me = threading.current_thread().name
        other = next(name for name in backend_pids if name != me)
        counted.add(me)
        wait_until(
            lambda: other in counted or blocked_by(other, me),
            what=f"count or lock wait of {other!r}",
            timeout=30,
        )
        return result

    monkeypatch.setattr(services, "_other_active_admins", slow_count)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def demote(name, membership, actor):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend_pids[name] = cursor.fetchone()[0]
            barrier.wait()
            services.membership_update(
                membership=membership, actor=actor, role=Membership.Role.MEMBER, notes=""
            )
            outcomes[name] = "demoted"
        except (services.AccountsError, services.AccountAdminRequired) as error:
            outcomes[name] = error.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, name=name, args=(name, membership, actor))
        for name, membership, actor in (
            ("alice demotes bob", bob_m, alice),
            ("bob demotes alice", alice_m, bob),
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    admins = Membership.objects.filter(
        account=company, role=Membership.Role.ADMIN, status=Membership.Status.ACTIVE
    )
    assert admins.count() == 1
    assert sorted(outcomes.values()) in (
        ["demoted", "not_admin"],  # the loser was demoted before it could act
        ["demoted", "last_admin_demote"],
    )
