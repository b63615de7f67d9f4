"""scim2-tester's compliance checks (RFC 7643/7644) run against /scim/v2/ in process,
through scim2-client's WSGI engine (no network, the standard library only): every check,
of Users and of Groups, discovery, attributes, /.search and PATCH included, passes."""

from __future__ import annotations

import uuid
from typing import Annotated

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from sso import services

# scim2-client, scim2-models and scim2-tester are imported by these tests only when they
# run: building their pydantic models takes about a second and a half, which every
# pytest-xdist worker would otherwise spend collecting.


def _new_address() -> str:
    return f"p{uuid.uuid4().hex[:12]}@mycompany.example"


class _NewPeople(list):
    """userName examples from which each draw is someone new: the tester picks with
    `random.choice` (an index), and a fixed list of 2,000 addresses gave two people of one
    test the same address often enough to fail (409, "already a member") now and then.
    Read in order, it holds distinct addresses too."""

    def __getitem__(self, index):
        return _new_address()


def _company_user():
    from pydantic import Field
    from scim2_models import Mutability, Required, Uniqueness, User

    class CompanyUser(User):
        """The tester fills userName from a field's examples: here, people of the verified
        domain (the server provisions no one else). Immutable, as the server's User schema
        says (it is the person's sign-in address)."""

        user_name: Annotated[str | None, Uniqueness.server, Required.true, Mutability.immutable] = (
            Field(None, examples=_NewPeople(_new_address() for _ in range(100)))
        )

    return CompanyUser


pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def scim_client(alice, company, bob):
    # With the administrators' group named, as in production: it is listed beside the
    # tester's groups, and alice's User names it.
    services.sso_roles_save(account=company, actor=alice, admin_claim="groups", admin_group="A")
    token = services.sso_scim_token_rotate(account=company, actor=alice)
    # As Django's test client does: the test's transaction keeps its connection open
    # across the requests.
    signals.request_finished.disconnect(close_old_connections)
    signals.request_started.disconnect(close_old_connections)
    from scim2_client.engines.wsgi import WSGISCIMClient
    from scim2_models import Group, ScimProvider

    yield WSGISCIMClient(
        WSGIHandler(),
        base_url="http://testserver/scim/v2",
        headers={"Authorization": f"Bearer {token}"},
        provider=ScimProvider(models=[_company_user(), Group]),
    )
    signals.request_finished.connect(close_old_connections)
    signals.request_started.connect(close_old_connections)


def _report(results) -> list[str]:
    return [f"{r.status.name} {r.title}: {r.reason}" for r in results]


def test_discovery_passes_scim2_tester(scim_client):
    from scim2_tester import Status, check_server

    results = check_server(scim_client, include_tags={"discovery"})
    print(*_report(results), sep="\n")
    assert results
    assert [r for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)] == []


def test_every_check_passes_for_users_and_groups(scim_client, verified_domain):
    from scim2_tester import Status, check_server

    results = check_server(scim_client)
    print(*_report(results), sep="\n")
    assert {r.resource_type for r in results} >= {"User", "Group"}
    assert len([r for r in results if r.status is Status.SUCCESS]) > 100
    assert [r for r in results if r.status is not Status.SUCCESS] == []


@pytest.fixture
def verified_domain(company):
    from django.utils import timezone

    from sso.models import SsoDomain

    return SsoDomain.objects.create(
        account=company, domain="mycompany.example", token="t", verified_at=timezone.now()
    )
