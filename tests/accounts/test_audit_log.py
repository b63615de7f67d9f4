"""Audit Log page: who did what, when, through which channel; filters; pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.audit import ACTIONS
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
    services.audit_log_record(account=company, actor=alice, channel="api", action="account.updated")
    services.audit_log_record(
        account=other_company, actor=alice, channel="web", action="account.updated"
    )

    def listed(**params):
        response = alice_client.get(reverse("audit_log"), params)
        return [e.action for e in response.context["page"].entries]

    assert listed() == ["account.updated", "membership.left"]  # never Other Corp's entries
    assert listed(action="account.updated") == ["account.updated"]
    assert listed(person="bob@") == ["membership.left"]
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert listed(date_from=yesterday) == ["account.updated"]
    assert listed(date_to=yesterday) == ["membership.left"]


def test_it_paginates_with_a_constant_number_of_queries(
    alice_client, alice, company, django_assert_max_num_queries
):
    codes = ["account.updated", "api_token.created", "invitation.created"]
    for i in range(120):
        services.audit_log_record(account=company, actor=alice, channel="web", action=codes[i % 3])
    alice_client.get(reverse("audit_log"))  # allauth records the new user session once
    # Ours: 1 the user's memberships (middleware), 2 the actions for the filter, 3 the
    # page of entries (one more tells whether an older page exists), 4 the names of the
    # members the page names by e-mail, 5 "Users (N)".
    # Around them: the session, the user, and allauth's user-session tracking
    # (savepoint, select, user, update, release). 120 entries or 3, the same.
    with django_assert_max_num_queries(12):
        response = alice_client.get(reverse("audit_log"))
    first = response.context["page"]
    assert len(first.entries) == 50 and first.is_newest and first.older
    with django_assert_max_num_queries(12):
        response = alice_client.get(reverse("audit_log"), {"before": first.older})
    second = response.context["page"]
    assert len(second.entries) == 50 and not second.is_newest


def test_the_pages_follow_each_other_without_gap_or_overlap(alice_client, alice, company):
    # Entries recorded in the same microsecond still get one place each: the id
    # breaks the tie.
    moment = timezone.now()
    codes = list(ACTIONS)
    for i in range(120):
        services.audit_log_record(
            account=company, actor=alice, channel="web", action=codes[i % len(codes)]
        )
    AuditLog.objects.filter(account=company).update(created_at=moment)
    seen, before = [], None
    while True:
        params = {"action": ""} | ({"before": before} if before else {})
        page = alice_client.get(reverse("audit_log"), params).context["page"]
        seen += [e.pk for e in page.entries]
        if not page.older:
            break
        assert (
            f"before={page.older}"
            in alice_client.get(reverse("audit_log"), params).content.decode()
        )
        before = page.older
    assert (
        seen == sorted(AuditLog.objects.filter(account=company).values_list("pk", flat=True))[::-1]
    )


def test_the_filter_offers_each_recorded_action_once(alice_client, alice, company, other_company):
    for action in [
        "api_token.created",
        "account.updated",
        "api_token.created",
        "invitation.created",
    ]:
        services.audit_log_record(account=company, actor=alice, channel="web", action=action)
    services.audit_log_record(
        account=other_company, actor=alice, channel="web", action="membership.left"
    )
    form = alice_client.get(reverse("audit_log")).context["form"]
    assert [value for value, _ in form.fields["action"].choices] == [
        "",
        "api_token.created",  # in the order of their words: "API token created",
        "account.updated",  # "Company information changed",
        "invitation.created",  # "User invited"
    ]


@pytest.mark.parametrize(
    "before", ["junk", "12-", "-3", "1-2-3", "99999999999999999999-1", "1764485431173634-x"]
)
def test_a_cursor_that_is_not_one_shows_the_newest_page(alice_client, alice, company, before):
    services.audit_log_record(account=company, actor=alice, channel="web", action="account.updated")
    response = alice_client.get(reverse("audit_log"), {"before": before})
    assert response.status_code == 200
    page = response.context["page"]
    assert [e.action for e in page.entries] == ["account.updated"] and page.is_newest
