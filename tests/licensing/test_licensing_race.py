"""Two simultaneous activations of one key on Postgres: exactly one wins.

Real threads with their own database connections, released together by a barrier,
so the check-then-insert would race without the row lock on the license key.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Account
from licensing import services
from licensing.errors import LicensingError
from licensing.models import UsedNonce
from proxies.models import ProxyServer
from tests.licensing import factories
from tests.licensing.factories import NOW

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(texts: list[str], call) -> list[object]:
    barrier = threading.Barrier(len(texts))
    results: list[object] = [None] * len(texts)

    def worker(index: int, text: str) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call(text)
        except LicensingError as exc:
            results[index] = exc
        except Exception as exc:  # a bug, not a refusal: the assertion below shows it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, t)) for i, t in enumerate(texts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def key():
    account = Account.objects.create(kind=Account.Kind.BUSINESS, name="Race Corp")
    return factories.primary_key_make(factories.subscription_make(account))


def activate(text: str) -> str:
    return services.license_activate(text, channel="online", now=NOW)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need Postgres")
@pytest.mark.parametrize("contenders", [2, 8])
def test_simultaneous_activations_of_one_key_exactly_one_wins(key, contenders):
    installations = [factories.Installation(server_name=f"pmm{i}") for i in range(contenders)]
    results = run_together([i.activation(key.key) for i in installations], activate)

    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, LicensingError)]
    assert len(winners) == 1, results
    assert len(losers) == contenders - 1, results
    assert {error.code for error in losers} == {"key_in_use"}
    assert ProxyServer.objects.filter(license_key=key, status="active").count() == 1
    # The losers' nonces were rolled back with them: each changed nothing.
    assert UsedNonce.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need Postgres")
def test_one_request_sent_twice_at_once_is_processed_once(key):
    text = factories.Installation().activation(key.key)
    results = run_together([text, text, text], activate)
    assert sum(isinstance(r, str) for r in results) == 1, results
    assert {r.code for r in results if isinstance(r, LicensingError)} == {"replayed"}
    assert ProxyServer.objects.count() == 1
