"""The Single Sign-On page reads a fixed number of queries, with one domain or many."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sso.models import SsoDomain

pytestmark = pytest.mark.django_db


def _queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/account/business/sso/").status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("rows", [1, 30])
def test_the_page_reads_the_same_queries_at_one_and_many_domains(alice_client, company, rows):
    now = timezone.now()
    SsoDomain.objects.bulk_create(
        SsoDomain(account=company, domain=f"d{n}.example", token=f"t{n}", verified_at=now)
        for n in range(rows)
    )
    _queries(alice_client)  # the first visit records the user session
    queries = _queries(alice_client)
    # Every signed-in page: session, user, the SSO domain of the user's address, and
    # allauth's user-session tracking (savepoint, its row, its user, the update, release)
    # = 8. This page: memberships (the account selector), the SSO config with its allauth
    # app, the domains, the member count (tab), the break-glass choices = 5.
    assert len(queries) == 13, "\n".join(queries)
