"""Audit Log page: who did what, when, through which channel; filters; pagination."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditLog, Membership


def test_it_lists_what_happened_with_who_and_channel(alice_client, alice, bob, company):
    services.membership_update(
        membership=Membership.objects.get(user=bob, account=company),
        actor=alice,
        role="admin",
        notes="",
    )
    html = alice_client.get(reverse("audit_log")).content.decode()
    # In words, not codes: the code stays for exports and the REST API.
    assert "Alice Admin made Bob Member an Account Administrator" in html
    assert ">membership.role_changed<" not in html
    assert '<option value="membership.role_changed">Role changed</option>' in html
    assert "alice@example.com" in html
    assert "Web" in html


def test_it_filters_by_action_person_and_dates(alice_client, alice, bob, company, other_company):
    old = services.audit_log_record(
        account=company, actor=bob, channel="web", action="membership.left"
    )
    AuditLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    services.audit_log_record(account=company, actor=alice, channel="api", action="x.done")
    services.audit_log_record(account=other_company, actor=alice, channel="web", action="y.done")

    def listed(**params):
        response = alice_client.get(reverse("audit_log"), params)
        return [e.action for e in response.context["page"].object_list]

    assert listed() == ["x.done", "membership.left"]  # never Other Corp's entries
    assert listed(action="x.done") == ["x.done"]
    assert listed(person="bob@") == ["membership.left"]
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert listed(date_from=yesterday) == ["x.done"]
    assert listed(date_to=yesterday) == ["membership.left"]


def test_it_paginates_with_a_constant_number_of_queries(
    alice_client, alice, company, django_assert_max_num_queries
):
    for i in range(120):
        services.audit_log_record(account=company, actor=alice, channel="web", action=f"a.{i % 3}")
    alice_client.get(reverse("audit_log"))  # allauth records the new user session once
    # Ours: 1 the user's memberships (middleware), 2 distinct actions for the filter,
    # 3 paginator count, 4 the page of entries with their actors, 5 the names of the
    # members the page names by e-mail, 6 "Users (N)". Around them: the session, the
    # user, and allauth's user-session tracking (savepoint, select, user, update,
    # release). 120 entries or 3, the same.
    with django_assert_max_num_queries(13):
        response = alice_client.get(reverse("audit_log"))
    assert len(response.context["page"].object_list) == 50
    with django_assert_max_num_queries(13):
        response = alice_client.get(reverse("audit_log"), {"page": 3, "action": "a.1"})
    assert response.context["page"].paginator.count == 40
