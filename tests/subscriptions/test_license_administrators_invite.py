"""Manage Users → Invite: alice invites people to be License Administrators of a key
through the business account's own invitation; on joining they administer the key."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog, Invitation, Membership
from accounts.services import invitation_accept
from subscriptions.models import LicenseKeyAdministrator, LicenseKeyInvitation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def design(subscription):
    return factories.license_key_create(subscription, quota=2, name="Design")


def _url(key) -> str:
    return reverse("license_key_administrators", args=[key.subscription_id, key.pk])


def test_alice_invites_a_newcomer_who_administers_the_key_once_joined(
    alice, alice_client, company, design
):
    response = alice_client.post(
        _url(design), {"action": "invite", "invite-emails": "nina@example.com"}, follow=True
    )
    assert "Invitations sent to: nina@example.com." in response.text
    invitation = Invitation.objects.get(email="nina@example.com", account=company)
    assert [g.license_key for g in LicenseKeyInvitation.objects.filter(invitation=invitation)] == [
        design
    ]
    assert not LicenseKeyAdministrator.objects.exists()  # not before she joins


def test_joining_makes_the_invitee_license_administrator(alice, company, design):
    invitation, token = factories.invitation_create(company, "nina@example.com", alice)
    LicenseKeyInvitation.objects.create(invitation=invitation, license_key=design)
    membership = invitation_accept(token=token, name="Nina Keys", password="a-long-pass-phrase-1")
    assert membership.role == Membership.Role.MEMBER
    fresh = Membership.objects.with_license_key_count().get(pk=membership.pk)
    assert fresh.is_license_admin
    assert list(LicenseKeyAdministrator.objects.values_list("license_key", flat=True)) == [
        design.pk
    ]
    entry = AuditLog.objects.get(action="license_key.administrator_added")
    assert (entry.actor, entry.data["user"]) == (alice, "nina@example.com")


def test_a_pending_invitation_gains_the_key_and_a_member_gets_it_at_once(
    alice_client, alice, bob, company, design
):
    invitation, _ = factories.invitation_create(company, "nina@example.com", alice)
    response = alice_client.post(
        _url(design),
        {"action": "invite", "invite-emails": "nina@example.com, bob@example.com"},
        follow=True,
    )
    assert response.status_code == 200
    assert LicenseKeyInvitation.objects.filter(invitation=invitation, license_key=design).exists()
    assert LicenseKeyAdministrator.objects.filter(membership__user=bob, license_key=design).exists()
    assert Invitation.objects.filter(account=company).count() == 1  # no second invitation


def test_a_bad_address_is_refused_and_changes_nothing(alice_client, company, design):
    response = alice_client.post(
        _url(design), {"action": "invite", "invite-emails": "nina@example.com, not-an-address"}
    )
    assert response.status_code == 200
    assert "not-an-address" in response.text
    assert not Invitation.objects.filter(account=company).exists()
    assert not LicenseKeyInvitation.objects.exists()


@pytest.mark.parametrize("who", ["bob", "lena"])
def test_only_an_account_administrator_invites(request, who, company, design):
    client = request.getfixturevalue(f"{who}_client")
    response = client.post(_url(design), {"action": "invite", "invite-emails": "x@example.com"})
    assert response.status_code == 403
    assert not Invitation.objects.filter(account=company).exists()
