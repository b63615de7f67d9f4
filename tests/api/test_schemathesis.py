"""Property-based run of schemathesis against the live OpenAPI document.

Every operation of /api/v1/ gets generated requests (valid ones, then invalid ones)
with alice's token, against the WSGI application in this process and this test's
database. Path ids are steered to real objects of alice's company most of the time,
so the generated requests reach the services and not only the 404s.

Valid requests: no 5xx, a documented status code and content type, a body that
matches its schema. Invalid requests: never a 5xx.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Membership
from myaccount.wsgi import application
from tests import factories
from tests.api.conftest import token_for

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 20
POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # The WSGI handler closes the database connection after each request, as in
    # production; the test's transaction lives on it (Django's test Client does this too).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def scene(company, alice, bob, dave, charlie, subscription, sublicense, proxy, other_subscription):
    invitation, _ = factories.invitation_create(company, "newcomer@example.com", invited_by=alice)
    members = Membership.objects.filter(account=company).order_by("id")
    return {
        "account_id": [company.pk],
        "subscription_id": [subscription.pk],
        "key_id": [subscription.primary_key.pk, sublicense.pk],
        "proxy_id": [proxy.pk],
        "member_id": [m.pk for m in members],
        "invitation_id": [invitation.pk],
    }


def _steer(case, ids: dict[str, list[int]]) -> None:
    """Most generated ids become ids of real objects; one in ten stays random."""
    for name, value in list((case.path_parameters or {}).items()):
        known = ids.get(name)
        if known and isinstance(value, int) and value % 10:
            case.path_parameters[name] = known[value % len(known)]


def test_the_api_keeps_its_schema(scene, alice):
    headers = {"Authorization": f"Bearer {token_for(alice, 'schemathesis')}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(
        path_regex="^/api/v1/"
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        _fuzz(operation, GenerationMode.POSITIVE, POSITIVE_CHECKS, scene, headers)
        _fuzz(operation, GenerationMode.NEGATIVE, [not_a_server_error], scene, headers)


def _fuzz(operation, mode, checks, ids, headers) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        _steer(case, ids)
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks)

    run()
