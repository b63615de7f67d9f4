"""Users tab: the Business Account Users list and its membership dialog."""

from __future__ import annotations

from django.urls import reverse

from accounts import services
from accounts.models import Membership
from tests import factories


def test_it_lists_name_email_role_and_status(alice_client, alice, bob, dave):
    response = alice_client.get(reverse("business_users"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Business Account Users (3)" in html
    assert "Users (3)" in html
    for text in ("Alice Admin", "bob@example.com", "Regular Member", "Blocked", "Active"):
        assert text in html
    assert "Invite Users" in html
    assert 'id="membership-' in html  # the dialogs an administrator opens


def test_filters_show_counts_and_filter(alice_client, alice, bob, dave):
    response = alice_client.get(reverse("business_users"), {"status": "blocked"})
    html = response.content.decode()
    assert "All (3)" in html
    assert "Regular Member (2)" in html
    assert "Account Administrator (1)" in html
    assert "Blocked (1)" in html
    assert [m.user.email for m, _ in response.context["rows"]] == ["dave@example.com"]

    response = alice_client.get(reverse("business_users"), {"role": "admin"})
    assert [m.user.email for m, _ in response.context["rows"]] == ["alice@example.com"]


def test_search_matches_name_and_email(alice_client, alice, bob, dave):
    response = alice_client.get(reverse("business_users"), {"q": "BOB"})
    assert [m.user.email for m, _ in response.context["rows"]] == ["bob@example.com"]
    assert response.context["counts"]["all"] == 1


def test_it_sorts(alice_client, alice, bob, dave):
    rows = alice_client.get(reverse("business_users"), {"sort": "-email"}).context["rows"]
    assert [m.user.email for m, _ in rows] == [
        "dave@example.com",
        "bob@example.com",
        "alice@example.com",
    ]
    # An unknown sort falls back to User Name instead of failing.
    assert alice_client.get(reverse("business_users"), {"sort": "evil"}).status_code == 200


def test_it_paginates_with_a_constant_number_of_queries(
    alice_client, alice, company, django_assert_max_num_queries
):
    for i in range(30):
        user = factories.user_create(f"user{i:02}@example.com", "User", f"{i:02}")
        factories.membership_create(user, company)
    alice_client.get(reverse("business_users"))  # allauth records the new user session once
    # Ours: 1 the user's memberships (middleware), 2 facet counts (one aggregate),
    # 3 paginator count, 4 page of members with their users, 5 pending invitations,
    # and with a search 6 the unfiltered "Users (N)" total. Around them: the session, the
    # user, and allauth's user-session tracking (savepoint, select, user, update, release).
    # 30 members or 3, the same.
    with django_assert_max_num_queries(13):
        response = alice_client.get(reverse("business_users"))
    assert len(response.context["rows"]) == 25
    with django_assert_max_num_queries(13):
        page2 = alice_client.get(reverse("business_users"), {"page": 2, "q": "user"})
    assert len(page2.context["rows"]) == 5


def test_pending_invitations_do_not_add_queries(
    alice_client, alice, company, django_assert_max_num_queries
):
    # Through the service, so that each has its e-mail in the outbox (still waiting).
    services.invitation_create(
        account=company, actor=alice, emails=[f"guest{i:02}@example.com" for i in range(15)]
    )
    alice_client.get(reverse("business_users"))  # allauth records the new user session once
    # The same 13 as without invitations: 5 above fetches them all, with their e-mails'
    # state, in one query.
    with django_assert_max_num_queries(13):
        response = alice_client.get(reverse("business_users"))
    assert len(response.context["invitations"]) == 15
    html = response.content.decode()
    assert "Pending Invitations (15)" in html
    assert html.count("Waiting to be sent") == 15


def test_a_regular_member_sees_the_list_read_only(bob_client, alice, bob):
    html = bob_client.get(reverse("business_users")).content.decode()
    assert "alice@example.com" in html
    assert "Invite Users" not in html
    assert '<dialog id="membership-' not in html
    assert "Pending Invitations" not in html


def test_the_membership_page_shows_email_notes_role(alice_client, bob, company):
    membership = Membership.objects.get(user=bob, account=company)
    response = alice_client.get(reverse("membership_detail", args=[membership.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("bob@example.com", "Notes", "Role", "Block", "Delete", "Save"):
        assert text in html
