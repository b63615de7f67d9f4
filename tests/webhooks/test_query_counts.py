"""The Webhooks pages and API lists run the same queries with 1 row as with 50, named
in each case's comment (as tests/test_list_query_counts.py does for the other lists)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.api.conftest import api_client, token_for
from webhooks.models import Attempt, Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db

ROWS = [1, 50]


@pytest.fixture(autouse=True)
def _no_session_tracking(settings):
    settings.USERSESSIONS_TRACK_ACTIVITY = False


@pytest.fixture
def api(alice):
    return api_client(token_for(alice))


def _endpoints(company, n) -> list[Endpoint]:
    return Endpoint.objects.bulk_create(
        Endpoint(
            account=company,
            url=f"https://hooks{i}.example.com/",
            event_types=["member.blocked"],
            secret="whsec_x",
        )
        for i in range(n)
    )


def _deliveries(endpoint, n) -> None:
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(
            public_id=f"evt_{i}",
            account=endpoint.account,
            type="member.blocked",
            occurred_at=now,
            body="{}",
            ordering_key=f"member:{i}",
        )
        for i in range(n)
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(endpoint=endpoint, event=e, ordering_key=e.ordering_key) for e in events
    )
    Attempt.objects.bulk_create(
        Attempt(delivery=d, started_at=now, status_code=500) for d in deliveries
    )


# --- pages: 1 session, 2 user, 3 the SSO domain of the user's address, ---------------------
# --- 4 the user's memberships (the current account), then ----------------------------------


@pytest.mark.parametrize("n", ROWS)
def test_the_endpoints_page(n, alice_client, company, django_assert_num_queries):
    _endpoints(company, n)
    # 5 the endpoints with their failed and pending counts (the tabs' member count comes
    # with the memberships).
    with django_assert_num_queries(5):
        response = alice_client.get(reverse("webhook_endpoints"))
    assert len(response.context["endpoints"]) == n


@pytest.mark.parametrize("n", ROWS)
def test_the_delivery_log(n, alice_client, company, django_assert_num_queries):
    [endpoint] = _endpoints(company, 1)
    _deliveries(endpoint, n)
    # 5 the endpoint, 6 the paginator's count, 7 the page of deliveries with their
    # events, 8 their attempts.
    with django_assert_num_queries(8):
        response = alice_client.get(reverse("webhook_endpoint", args=[endpoint.pk]))
    assert response.context["page"].paginator.count == n


# --- API lists: 1 the token with its user, 2 the SSO domain of its owner's address, --------
# --- 3 the membership of the path's account, then ------------------------------------------


def _api_get(api, url: str):
    response = api.get(url, {"page_size": 100})
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.parametrize("n", ROWS)
def test_api_endpoints(n, api, company, django_assert_num_queries):
    _endpoints(company, n)
    # 4 the page of endpoints.
    with django_assert_num_queries(4):
        results = _api_get(api, f"/api/v1/accounts/{company.pk}/webhooks/")
    assert len(results) == n


@pytest.mark.parametrize("n", ROWS)
def test_api_delivery_log(n, api, company, django_assert_num_queries):
    [endpoint] = _endpoints(company, 1)
    _deliveries(endpoint, n)
    # 4 the endpoint, 5 the page of deliveries with their events.
    with django_assert_num_queries(5):
        results = _api_get(api, f"/api/v1/accounts/{company.pk}/webhooks/{endpoint.pk}/deliveries/")
    assert len(results) == n
