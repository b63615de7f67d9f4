"""Membership dialog: role, notes, Block / Unblock, Delete; the last-admin rule; emails."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Account, AuditLog, Membership
from tests import factories


def _m(user, account) -> Membership:
    return Membership.objects.get(user=user, account=account)


def audited(action: str, *, actor, membership: Membership) -> AuditLog:
    """The one audit entry of a membership change: who, through which channel, on whom."""
    entry = AuditLog.objects.get(action=action)
    assert (entry.actor, entry.actor_label) == (actor, actor.email)
    assert (entry.account, entry.channel) == (membership.account, AuditLog.Channel.WEB)
    assert (entry.target_type, entry.target_id) == ("accounts.membership", str(membership.pk))
    assert entry.target_label == membership.user.email
    return entry


def test_promoting_takes_effect_on_the_members_very_next_request(
    alice_client, bob_client, alice, bob, company
):
    membership = _m(bob, company)
    assert bob_client.get(reverse("invite_users")).status_code == 403
    response = alice_client.post(
        reverse("membership_detail", args=[membership.pk]),
        {f"m{membership.pk}-role": "admin", f"m{membership.pk}-notes": "Runs IT"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.notes) == ("admin", "Runs IT")
    # bob did not sign in again: his session is the same.
    assert bob_client.get(reverse("invite_users")).status_code == 200
    entry = audited("membership.role_changed", actor=alice, membership=membership)
    assert entry.data["role"] == ["member", "admin"]


def test_blocking_takes_effect_on_the_next_request_and_mails_the_person(
    alice_client, bob_client, alice, bob, company, mailoutbox, django_capture_on_commit_callbacks
):
    assert bob_client.get(reverse("business_profile")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("membership_block", args=[_m(bob, company).pk]))
    assert response.status_code == 302
    assert _m(bob, company).status == Membership.Status.BLOCKED  # membership kept
    # bob's very next request: the business account is gone from his selector and pages.
    assert bob_client.get(reverse("business_profile")).status_code == 404
    dashboard = bob_client.get(reverse("dashboard"))
    assert dashboard.context["request"].account.kind == Account.Kind.PERSONAL
    assert "My Company, Inc." not in dashboard.content.decode()
    assert [m.to for m in mailoutbox] == [["bob@example.com"]]
    assert "blocked" in mailoutbox[0].subject
    assert mailoutbox[0].alternatives
    audited("membership.blocked", actor=alice, membership=_m(bob, company))


def test_unblocking_restores_access_in_the_same_role(
    alice_client, dave_client, alice, dave, company, mailoutbox, django_capture_on_commit_callbacks
):
    assert dave_client.get(reverse("business_profile")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("membership_unblock", args=[_m(dave, company).pk]))
    assert _m(dave, company).status == Membership.Status.ACTIVE
    assert dave_client.get(reverse("business_profile")).status_code == 200
    assert "restored" in mailoutbox[0].subject
    audited("membership.unblocked", actor=alice, membership=_m(dave, company))


def test_deleting_removes_the_membership_and_mails_the_person(
    alice_client, bob_client, alice, bob, company, mailoutbox, django_capture_on_commit_callbacks
):
    membership = _m(bob, company)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("membership_delete", args=[membership.pk]))
    assert not Membership.objects.filter(user=bob, account=company).exists()
    assert bob_client.get(reverse("business_profile")).status_code == 404
    assert "canceled" in mailoutbox[0].subject
    entry = audited("membership.deleted", actor=alice, membership=membership)
    assert entry.data == {"role": "member", "status": "active"}


def test_no_email_is_sent_when_the_transaction_rolls_back(
    alice, bob, company, mailoutbox, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.membership_block(membership=_m(bob, company), actor=alice)
        raise RuntimeError("boom")
    assert callbacks == [] and mailoutbox == []
    assert _m(bob, company).is_active


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("membership_detail", "demote", "cannot become a Regular Member"),
        ("membership_block", {}, "cannot be blocked"),
        ("membership_delete", {}, "cannot be deleted"),
    ],
)
def test_the_last_active_admin_stays(alice_client, alice, bob, company, url, data, message):
    membership = _m(alice, company)
    if data == "demote":
        data = {f"m{membership.pk}-role": "member", f"m{membership.pk}-notes": ""}
    response = alice_client.post(reverse(url, args=[membership.pk]), data, follow=True)
    html = response.content.decode()
    assert "only Account Administrator" in html and message in html
    membership.refresh_from_db()
    assert membership.role == "admin" and membership.is_active


def test_a_blocked_admin_does_not_count_as_the_other_admin(alice, company):
    other = factories.user_create("ex@example.com", "Ex", "Admin")
    factories.membership_create(other, company, role="admin", status="blocked")
    with pytest.raises(services.AccountsError) as error:
        services.membership_leave(membership=_m(alice, company))
    assert error.value.code == "last_admin_leave"


def test_with_two_admins_one_can_step_down(alice, bob, company):
    services.membership_update(membership=_m(bob, company), actor=alice, role="admin", notes="")
    services.membership_update(membership=_m(alice, company), actor=alice, role="member", notes="")
    assert _m(alice, company).role == "member"
    # alice is no longer an administrator: she cannot act as one any more.
    with pytest.raises(services.AccountAdminRequired) as error:
        services.membership_update(
            membership=_m(bob, company), actor=alice, role="member", notes=""
        )
    assert error.value.code == "not_admin"
    assert _m(bob, company).role == "admin"  # nothing changed


def test_an_admin_cannot_block_or_delete_themselves_while_others_admin(alice, bob, company):
    services.membership_update(membership=_m(bob, company), actor=alice, role="admin", notes="")
    for service, code in (
        (services.membership_block, "self_block"),
        (services.membership_delete, "self_delete"),
    ):
        with pytest.raises(services.AccountsError) as error:
            service(membership=_m(alice, company), actor=alice)
        assert error.value.code == code


def test_personal_accounts_are_not_managed_here(alice):
    personal = Membership.objects.get(user=alice, account__kind="personal")
    with pytest.raises(services.AccountsError) as error:
        services.membership_leave(membership=personal)
    assert error.value.code == "not_business"
