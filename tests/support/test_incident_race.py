"""Members open technical tickets at the same moment against a subscription with two
support incidents left: the row lock on the subscription lets exactly two through."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from support.errors import SupportError
from support.models import Ticket
from tests import factories
from tests.support.conftest import ticket_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_technical_tickets_never_use_more_incidents_than_included(company, alice, bob):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need Postgres")
    subscription = factories.subscription_create(company, licenses=10)
    subscription.support_incidents = 2
    subscription.save(update_fields=["support_incidents"])
    barrier = threading.Barrier(6)
    results: list[str] = []

    def create(author) -> None:
        try:
            barrier.wait()
            ticket_create(company, author, subscription=subscription)
            results.append("created")
        except SupportError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(p,)) for p in [alice, bob] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["created"] * 2 + ["no_incidents_left"] * 4
    assert Ticket.objects.filter(subscription=subscription, uses_incident=True).count() == 2
