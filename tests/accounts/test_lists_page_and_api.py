"""The Business Account Users list, the invitations and the audit log filter the same
way on the page and in the API: both read through accounts.selectors. Every case runs
against both surfaces, so they cannot drift again.

alice administers the company, bob is a Regular Member, dave is blocked.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Membership
from tests import factories
from tests.api.conftest import api_client, token_for

pytestmark = pytest.mark.django_db


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user):
    return api_client(token_for(user, name=uuid.uuid4().hex[:8]))


def _members_page(alice, company, params: dict) -> list[str]:
    params = {"q": params.pop("search", ""), **params}
    response = _page_client(alice).get(reverse("business_users"), params)
    assert response.status_code == 200
    return sorted(m.user.email for m in response.context["page"].object_list)


def _members_api(alice, company, params: dict) -> list[str]:
    url = f"/api/v1/accounts/{company.pk}/members/"
    response = _api(alice).get(url, params)
    assert response.status_code == 200
    return sorted(m["email"] for m in response.json()["results"])


MEMBER_SURFACES = {"page": _members_page, "api": _members_api}


@pytest.mark.parametrize("surface", list(MEMBER_SURFACES))
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["alice@example.com", "bob@example.com", "dave@example.com"]),
        ({"search": "BOB"}, ["bob@example.com"]),
        ({"search": "example.com", "role": "admin"}, ["alice@example.com"]),
        ({"status": "blocked"}, ["dave@example.com"]),
        ({"role": "member", "status": "active"}, ["bob@example.com"]),
        ({"search": "nobody"}, []),
    ],
)
def test_members_filter_alike_on_page_and_api(surface, params, expected, alice, bob, dave, company):
    assert MEMBER_SURFACES[surface](alice, company, dict(params)) == expected


def _audit_page(alice, company, params: dict) -> list[str]:
    translated = {"action": params.get("action", ""), "person": params.get("person", "")}
    if "since" in params:
        translated["date_from"] = params["since"]
    if "until" in params:
        translated["date_to"] = params["until"]
    response = _page_client(alice).get(reverse("audit_log"), translated)
    assert response.status_code == 200
    return [e.target_label for e in response.context["page"].entries]


def _audit_api(alice, company, params: dict) -> list[str]:
    url = f"/api/v1/accounts/{company.pk}/audit-log/"
    query = dict(params)
    for name in ("since", "until"):
        if name in query:  # the API takes times: the page's whole day
            day = datetime.fromisoformat(query[name])
            if name == "until":
                day += timedelta(days=1, microseconds=-1)
            query[name] = timezone.make_aware(day).isoformat()
    response = _api(alice).get(url, query)
    assert response.status_code == 200
    return [e["target_label"] for e in response.json()["results"]]


AUDIT_SURFACES = {"page": _audit_page, "api": _audit_api}


@pytest.fixture
def history(company, alice):
    """Three entries on three days, newest last."""
    now = timezone.now().replace(hour=12)
    for days_ago, action, label in [
        (2, "membership.created", "erin@example.com"),
        (1, "membership.blocked", "dave@example.com"),
        (0, "license_key.created", "Design Studio"),
    ]:
        entry = AuditLog.objects.create(
            account=company,
            actor=alice,
            actor_label=alice.email,
            channel=AuditLog.Channel.WEB,
            action=action,
            target_label=label,
        )
        AuditLog.objects.filter(pk=entry.pk).update(created_at=now - timedelta(days=days_ago))
    return now


@pytest.mark.parametrize("surface", list(AUDIT_SURFACES))
def test_the_audit_log_filters_alike_on_page_and_api(surface, alice, company, history):
    read = AUDIT_SURFACES[surface]
    newest_first = ["Design Studio", "dave@example.com", "erin@example.com"]
    assert read(alice, company, {}) == newest_first
    assert read(alice, company, {"action": "membership.blocked"}) == ["dave@example.com"]
    assert read(alice, company, {"person": "ERIN"}) == ["erin@example.com"]
    yesterday = (history - timedelta(days=1)).date().isoformat()
    assert read(alice, company, {"since": yesterday}) == newest_first[:2]
    assert read(alice, company, {"until": yesterday}) == newest_first[1:]
    assert read(alice, company, {"since": yesterday, "until": yesterday}) == ["dave@example.com"]


def _invitations_api(alice, company) -> list[str]:
    url = f"/api/v1/accounts/{company.pk}/invitations/"
    response = _api(alice).get(url, {"status": "pending"})
    return sorted(i["email"] for i in response.json()["results"])


def _invitations_page(alice, company) -> list[str]:
    response = _page_client(alice).get(reverse("business_users"))
    return sorted(i.email for i in response.context["invitations"])


@pytest.mark.parametrize("surface", ["page", "api"])
def test_pending_invitations_are_the_same_on_page_and_api(surface, alice, company):
    factories.invitation_create(company, "new@example.com", invited_by=alice)
    used, _ = factories.invitation_create(company, "used@example.com", invited_by=alice)
    used.status = used.Status.ACCEPTED
    used.save()
    read = _invitations_page if surface == "page" else _invitations_api
    assert read(alice, company) == ["new@example.com"]
    assert Membership.objects.filter(account=company).count() == 1


# --- one order on both surfaces, page after page ------------------------------------------


def _members_page_ordered(alice, company, params: dict) -> list[str]:
    """Every page of the list, in order."""
    client, emails, number = _page_client(alice), [], 1
    while True:
        response = client.get(reverse("business_users"), {**params, "page": number})
        assert response.status_code == 200
        page = response.context["page"]
        emails += [m.user.email for m in page.object_list]
        if not page.has_next():
            return emails
        number += 1


def _api_ordered(alice, url: str, params: dict) -> list[str]:
    """Every page of the list, following `next`."""
    client, emails = _api(alice), []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200
        emails += [row["email"] for row in response.json()["results"]]
        if not response.json()["next"]:
            return emails
        response = client.get(response.json()["next"])


def _members_api_ordered(alice, company, params: dict) -> list[str]:
    return _api_ordered(alice, f"/api/v1/accounts/{company.pk}/members/", params)


ORDERED_MEMBERS = {"page": _members_page_ordered, "api": _members_api_ordered}


@pytest.fixture
def zoe(company, alice, bob, dave):
    """A second administrator whose address sorts first and whose name sorts last; the
    four joined alice, bob, dave, zoe, a day apart."""
    user = factories.user_create("aaron@example.com", "Zoe", "Young")
    factories.membership_create(user, company, role=Membership.Role.ADMIN)
    start = timezone.now() - timedelta(days=10)
    for days, person in enumerate([alice, bob, dave, user]):
        Membership.objects.filter(user=person).update(created_at=start + timedelta(days=days))
    return user


MEMBER_ORDERS = [
    ("name", ["alice", "bob", "dave", "aaron"]),
    ("email", ["aaron", "alice", "bob", "dave"]),
    # Within a role or a status, by name.
    ("role", ["alice", "aaron", "bob", "dave"]),
    ("status", ["alice", "bob", "aaron", "dave"]),
    ("since", ["alice", "bob", "dave", "aaron"]),
]


@pytest.mark.parametrize("surface", list(ORDERED_MEMBERS))
@pytest.mark.parametrize(("sort", "ascending"), MEMBER_ORDERS, ids=[s for s, _ in MEMBER_ORDERS])
def test_members_sort_alike_by_each_column_both_ways(surface, sort, ascending, alice, company, zoe):
    read = ORDERED_MEMBERS[surface]
    expected = [f"{name}@example.com" for name in ascending]
    assert read(alice, company, {"sort": sort}) == expected
    assert read(alice, company, {"sort": f"-{sort}"}) == expected[::-1]


@pytest.mark.parametrize("surface", list(ORDERED_MEMBERS))
def test_members_who_joined_together_cross_a_page_boundary_once_each(surface, alice, company):
    # 30 people joined at the same instant: the page shows 25 a page, the API is asked
    # for 25 a page; ties go by id (here: the order they were added).
    joined = timezone.now() - timedelta(days=1)
    people = [factories.user_create(f"p{i:02}@example.com", "Same", "Name") for i in range(30)]
    for person in people:
        factories.membership_create(person, company)
    Membership.objects.filter(account=company).update(created_at=joined)
    expected = [alice.email] + [p.email for p in people]
    read = ORDERED_MEMBERS[surface]
    assert read(alice, company, {"sort": "since", "page_size": 25}) == expected
    assert read(alice, company, {"sort": "-since", "page_size": 25}) == expected[::-1]


def _invitations_page_ordered(alice, company) -> list[str]:
    response = _page_client(alice).get(reverse("business_users"))
    return [i.email for i in response.context["invitations"]]


def _invitations_api_ordered(alice, company) -> list[str]:
    url = f"/api/v1/accounts/{company.pk}/invitations/"
    return _api_ordered(alice, url, {"status": "pending", "page_size": 2})


@pytest.mark.parametrize("surface", ["page", "api"])
def test_pending_invitations_are_in_one_order_on_page_and_api(surface, alice, company):
    # Sent in another order than the addresses sort: both list them by address.
    for email in ["carol@example.com", "adam@example.com", "erin@example.com", "bea@example.com"]:
        factories.invitation_create(company, email, invited_by=alice)
    read = _invitations_page_ordered if surface == "page" else _invitations_api_ordered
    expected = ["adam@example.com", "bea@example.com", "carol@example.com", "erin@example.com"]
    assert read(alice, company) == expected
