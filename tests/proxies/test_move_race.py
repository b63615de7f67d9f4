"""Moves racing each other and an activation of the target key, on Postgres: real
threads with their own connections, released together by a barrier. The move locks
account -> subscriptions -> keys (in id order) -> installation, as activation and
sublicense changes do, so exactly one wins and nothing deadlocks."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from accounts.models import Membership
from licensing import services as licensing
from licensing.errors import LicensingError
from proxies.errors import ProxyError
from proxies.models import ProxyServer
from proxies.services import proxy_server_move
from tests import factories as tf
from tests.licensing import factories as lf
from tests.licensing.factories import NOW

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need Postgres"),
]


def run_together(calls: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # a refusal, or a bug the assertions show
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def scene():
    account = tf.business_account_create("Race Corp")
    admin = tf.user_create("ada@race.example")
    tf.membership_create(admin, account, role=Membership.Role.ADMIN)
    subscription = lf.subscription_make(account, licenses=20)
    keys = [lf.primary_key_make(subscription)] + [
        lf.sublicense_make(subscription, quota=4, name=f"K{i}") for i in range(3)
    ]
    proxies = [lf.Installation(server_name=f"pmm{i}") for i in range(2)]
    for proxy, key in zip(proxies, keys, strict=False):
        licensing.license_activate(proxy.activation(key.key), channel="online", now=NOW)
    servers = [ProxyServer.objects.get(installation_id=p.installation_id) for p in proxies]
    return admin, keys, servers


def move(server: ProxyServer, key, admin) -> Callable[[], object]:
    return lambda: proxy_server_move(proxy_server=server, license_key=key, actor=admin, now=NOW)


def test_two_moves_to_one_free_key_exactly_one_wins(scene):
    admin, keys, servers = scene
    target = keys[2]
    results = run_together([move(s, target, admin) for s in servers])
    refused = [r for r in results if isinstance(r, ProxyError)]
    assert len([r for r in results if isinstance(r, ProxyServer)]) == 1, results
    assert [r.code for r in refused] == ["move_key_in_use"]
    assert ProxyServer.objects.filter(license_key=target, status="active").count() == 1


def test_a_move_and_an_activation_of_the_target_key_exactly_one_wins(scene):
    admin, keys, servers = scene
    target = keys[3]
    newcomer = lf.Installation(server_name="newcomer")
    results = run_together(
        [
            move(servers[0], target, admin),
            lambda: licensing.license_activate(
                newcomer.activation(target.key), channel="online", now=NOW
            ),
        ]
    )
    winners = [r for r in results if isinstance(r, ProxyServer | str)]
    codes = {r.code for r in results if isinstance(r, ProxyError | LicensingError)}
    assert len(winners) == 1, results
    assert codes <= {"move_key_in_use", "key_in_use"} and len(codes) == 1, results
    assert ProxyServer.objects.filter(license_key=target, status="active").count() == 1


def test_crossed_moves_never_deadlock(scene):
    admin, keys, servers = scene
    # Each wants the other's key: both refused (held), neither waits for ever.
    results = run_together([move(servers[0], keys[1], admin), move(servers[1], keys[0], admin)])
    assert [getattr(r, "code", r) for r in results] == ["move_key_in_use", "move_key_in_use"]
