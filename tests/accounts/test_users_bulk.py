"""The Users list's Actions menu: block, unblock, delete and resend invitation for the
ticked rows, each asked first (the one confirmation) and done by the same services as
the single actions.

alice administers My Company; bob is a Regular Member; dave is blocked; charlie belongs
to Other Corp.
"""

from __future__ import annotations

import re

from django.urls import reverse

from accounts.models import Invitation, Membership
from tests import factories

URL = reverse("business_users_bulk")


def _m(user, account) -> Membership:
    return Membership.objects.get(user=user, account=account)


def test_the_list_has_a_checkbox_per_member_and_the_actions_menu(alice_client, bob, company):
    html = alice_client.get(reverse("business_users")).content.decode()

    assert f'name="id" value="{_m(bob, company).pk}" form="users-actions"' in html
    for action in ("block", "unblock", "delete", "resend"):
        assert f'name="action" value="{action}"' in html


def test_a_regular_member_sees_no_checkboxes_and_cannot_act(bob_client, alice, bob, company):
    html = bob_client.get(reverse("business_users")).content.decode()
    assert 'form="users-actions"' not in html

    response = bob_client.post(URL, {"action": "block", "id": [_m(alice, company).pk]})

    assert response.status_code == 403
    assert _m(alice, company).status == Membership.Status.ACTIVE


def test_blocking_asks_first_naming_everyone_then_blocks_them(
    alice_client, alice, bob, dave, company, mailoutbox, django_capture_on_commit_callbacks
):
    bob_m = _m(bob, company)
    page = alice_client.get(URL, {"action": "block", "id": [bob_m.pk]})
    html = re.sub(r"\s+", " ", page.content.decode())
    assert (
        "Block 1 user?" in html and "<li><strong>Bob Member (bob@example.com)</strong></li>" in html
    )
    bob_m.refresh_from_db()
    assert bob_m.status == Membership.Status.ACTIVE  # asking changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(URL, {"action": "block", "id": [bob_m.pk]}, follow=True)

    bob_m.refresh_from_db()
    assert bob_m.status == Membership.Status.BLOCKED
    assert "bob@example.com: blocked." in response.content.decode()
    assert [m.to for m in mailoutbox] == [["bob@example.com"]]


def test_what_a_service_refuses_is_reported_and_the_rest_is_done(alice_client, alice, bob, company):
    # alice is the last Account Administrator: she cannot be blocked; bob can.
    response = alice_client.post(
        URL, {"action": "block", "id": [_m(alice, company).pk, _m(bob, company).pk]}, follow=True
    )

    html = response.content.decode()
    assert _m(alice, company).status == Membership.Status.ACTIVE
    assert _m(bob, company).status == Membership.Status.BLOCKED
    assert "Not done for alice@example.com" in html


def test_unblock_and_delete_use_the_single_actions_services(alice_client, bob, dave, company):
    alice_client.post(URL, {"action": "unblock", "id": [_m(dave, company).pk]})
    assert _m(dave, company).status == Membership.Status.ACTIVE

    alice_client.post(URL, {"action": "delete", "id": [_m(bob, company).pk]})
    assert not Membership.objects.filter(user=bob, account=company).exists()


def test_resend_sends_the_ticked_invitations_again(
    alice_client, alice, company, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, _token = factories.invitation_create(company, "nina@example.com", invited_by=alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(URL, {"action": "resend", "invitation": [invitation.pk]})

    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["nina@example.com"]]
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_another_companys_members_and_nonsense_change_nothing(alice_client, charlie, other_company):
    charlie_m = _m(charlie, other_company)
    for data in (
        {"action": "block", "id": [charlie_m.pk]},
        {"action": "block", "id": ["not-a-number"]},
        {"action": "explode", "id": [charlie_m.pk]},
        {"action": "block"},
    ):
        response = alice_client.post(URL, data)
        assert response.status_code == 302
    assert _m(charlie, other_company).status == Membership.Status.ACTIVE
