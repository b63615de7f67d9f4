"""Two administrators demoting each other at the same moment leave the account one admin.

Real Postgres, real threads, real transactions: the account row lock serialises the
check-then-act, so the second demotion counts again and is refused.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from accounts import services
from accounts.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(alice, bob, company, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need Postgres")
    Membership.objects.filter(user=bob, account=company).update(role=Membership.Role.ADMIN)
    alice_m = Membership.objects.get(user=alice, account=company)
    bob_m = Membership.objects.get(user=bob, account=company)

    count = services._other_active_admins

    def slow_count(**kwargs):
        # Widen the window between counting and writing: without the lock both
        # transactions would count one other admin here and both would demote.
        result = count(**kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(services, "_other_active_admins", slow_count)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def demote(name, membership, actor):
        try:
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
        threading.Thread(target=demote, args=("alice demotes bob", bob_m, alice)),
        threading.Thread(target=demote, args=("bob demotes alice", alice_m, bob)),
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
