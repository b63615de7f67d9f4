"""Invite Users and Join account: single-use, expiring, hashed links bound to an email."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.current import SESSION_KEY
from accounts.models import AuditLog, Invitation, Membership, User
from tests import factories

JOIN = re.compile(r"https?://[^\s\"<]+/account/join/([^/\s\"<]+)/")


def _invite(client, captured, *emails):
    with captured(execute=True):
        return client.post(reverse("invite_users"), {"emails": "\n".join(emails), "action": "send"})


def _link_token(message) -> str:
    return JOIN.search(message.body).group(1)


def test_an_admin_invites_several_people_and_each_gets_one_email(
    alice_client, alice, company, mailoutbox, django_capture_on_commit_callbacks
):
    response = _invite(
        alice_client,
        django_capture_on_commit_callbacks,
        "new@example.com, Other@Example.com",
    )
    assert response.status_code == 302
    invitations = Invitation.objects.filter(account=company).order_by("email")
    assert [i.email for i in invitations] == ["new@example.com", "other@example.com"]
    assert sorted(m.to[0] for m in mailoutbox) == ["new@example.com", "other@example.com"]
    message = next(m for m in mailoutbox if m.to == ["new@example.com"])
    assert "My Company, Inc." in message.subject
    assert message.alternatives and "Join My Company, Inc." in message.alternatives[0][0]
    token = _link_token(message)
    invitation = invitations[0]
    # Only the hash is stored, and it is the hash of the emailed token.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    assert invitation.expires_at - invitation.created_at >= timedelta(days=7) - timedelta(seconds=5)
    assert AuditLog.objects.filter(action="invitation.created").count() == 2


def test_add_reviews_the_list_before_sending(alice_client, alice, bob, company, mailoutbox):
    response = alice_client.post(
        reverse("invite_users"),
        {"emails": "new@example.com", "email": "bob@example.com", "action": "add"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Will be invited" in html
    assert "Already a member" in html
    assert response.context["form"]["emails"].value() == "new@example.com\nbob@example.com"
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_bad_address_is_named_and_nothing_is_sent(alice_client, alice, mailoutbox):
    response = alice_client.post(
        reverse("invite_users"), {"emails": "good@example.com\nnot-an-email", "action": "send"}
    )
    assert response.status_code == 200
    assert "Not an email address: not-an-email" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_empty_list_is_refused(alice_client, alice):
    response = alice_client.post(reverse("invite_users"), {"emails": " ", "action": "send"})
    assert "Add at least one email address." in response.content.decode()


def test_members_and_people_already_invited_are_not_mailed_twice(
    alice_client, alice, bob, company, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(alice_client, django_capture_on_commit_callbacks, "new@example.com")
    assert len(mailoutbox) == 1
    response = _invite(
        alice_client,
        django_capture_on_commit_callbacks,
        "new@example.com",
        "BOB@example.com",
    )
    html = alice_client.get(response["Location"]).content.decode()
    assert "Already a member, not invited: bob@example.com" in html
    assert "Already invited, not sent twice" in html
    assert len(mailoutbox) == 1
    assert Invitation.objects.filter(email="new@example.com").count() == 1


def test_resend_issues_a_new_link_and_kills_the_old_one(
    alice_client, alice, company, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(alice_client, django_capture_on_commit_callbacks, "new@example.com")
    old = _link_token(mailoutbox[0])
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("invitation_resend", args=[invitation.pk]))
    assert len(mailoutbox) == 2
    new = _link_token(mailoutbox[1])
    assert new != old
    assert alice_client.get(reverse("invitation_join", args=[old])).status_code == 404
    assert alice_client.get(reverse("invitation_join", args=[new])).status_code == 403  # alice
    assert AuditLog.objects.filter(action="invitation.resent").exists()


def test_revoke_kills_the_link(alice_client, alice, company, client):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    alice_client.post(reverse("invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    response = client.get(reverse("invitation_join", args=[token]))
    assert response.status_code == 404  # the hash is gone with the revoke
    assert "not valid" in response.content.decode()
    # Revoking twice says so.
    response = alice_client.post(reverse("invitation_revoke", args=[invitation.pk]), follow=True)
    assert "already been used or withdrawn" in response.content.decode()


def test_a_new_person_joins_gets_a_personal_account_and_lands_in_the_business(
    client, alice, company
):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    page = client.get(reverse("invitation_join", args=[token]))
    html = page.content.decode()
    assert "Join My Company, Inc." in html
    assert 'value="new@example.com"' in html and "disabled" in html
    response = client.post(
        reverse("invitation_join", args=[token]),
        {"name": "Nina New", "password": "a-long-unusual-passphrase", "terms": "on"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert (user.first_name, user.last_name) == ("Nina", "New")
    assert user.check_password("a-long-unusual-passphrase")
    assert user.emailaddress_set.get().verified
    membership = Membership.objects.get(user=user, account=company)
    assert membership.role == Membership.Role.MEMBER and membership.is_active
    assert Membership.objects.filter(user=user, account__kind="personal").exists()
    assert client.session[AUTH_SESSION_KEY] == str(user.pk)
    assert client.session[SESSION_KEY] == company.pk
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.context["request"].account == company
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED and invitation.token_hash is None
    assert AuditLog.objects.filter(action="invitation.accepted", actor=user).exists()


def test_a_new_person_needs_a_name_and_a_good_password(client, alice, company):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    url = reverse("invitation_join", args=[token])
    response = client.post(url, {"name": "", "password": "a-long-unusual-passphrase"})
    assert "name" in response.context["form"].errors
    response = client.post(url, {"name": "Nina New", "password": "123", "terms": "on"})
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_person_with_an_account_joins_with_their_password(client, alice, charlie, company):
    invitation, token = factories.invitation_create(company, "charlie@example.com", alice)
    url = reverse("invitation_join", args=[token])
    response = client.post(url, {"password": "wrong"})
    assert response.status_code == 200
    assert "The password is not correct." in response.content.decode()
    assert not Membership.objects.filter(user=charlie, account=company).exists()
    response = client.post(url, {"password": factories.PASSWORD})
    assert response.status_code == 302
    assert Membership.objects.get(user=charlie, account=company).role == Membership.Role.MEMBER
    assert client.session[AUTH_SESSION_KEY] == str(charlie.pk)
    assert client.session[SESSION_KEY] == company.pk


def test_someone_signed_in_as_the_invited_email_just_joins(charlie_client, alice, charlie, company):
    invitation, token = factories.invitation_create(company, "charlie@example.com", alice)
    url = reverse("invitation_join", args=[token])
    assert "Password" not in charlie_client.get(url).content.decode()
    response = charlie_client.post(url, {})
    assert response.status_code == 302
    assert Membership.objects.filter(user=charlie, account=company).exists()
    assert charlie_client.get(reverse("dashboard")).context["request"].account == company


def test_someone_signed_in_as_another_email_is_refused(bob_client, alice, company):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    url = reverse("invitation_join", args=[token])
    for response in (bob_client.get(url), bob_client.post(url, {"password": "x"})):
        assert response.status_code == 403
        assert "sent to new@example.com, but you are signed in as bob@example.com" in (
            response.content.decode()
        )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_a_used_link_cannot_be_used_again(client, alice, company):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    url = reverse("invitation_join", args=[token])
    client.post(url, {"name": "Nina New", "password": "a-long-unusual-passphrase", "terms": "on"})
    client.logout()
    response = client.get(url)
    # Accepting drops the hash: the link is simply no longer valid.
    assert response.status_code == 404
    assert Membership.objects.filter(account=company, user__email="new@example.com").count() == 1


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(client, alice, company):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        url = reverse("invitation_join", args=[token])
        response = client.get(url)
        assert response.status_code == 410
        assert "This invitation has expired" in response.content.decode()
        response = client.post(url, {"name": "Nina", "password": "a-long-unusual-passphrase"})
        assert response.status_code == 410
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_tampered_link_gets_a_clear_page(client, alice, company):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    response = client.get(reverse("invitation_join", args=[token[:-1] + "x"]))
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_service_refuses_used_and_revoked_invitations_with_their_reason(alice, company):
    invitation, token = factories.invitation_create(company, "new@example.com", alice)
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.ACCEPTED)
    with pytest.raises(services.AccountsError) as error:
        services.invitation_for_token(token=token)
    assert error.value.code == "invitation_used"
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.REVOKED)
    with pytest.raises(services.AccountsError) as error:
        services.invitation_accept(token=token, name="X Y", password="a-long-unusual-passphrase")
    assert error.value.code == "invitation_revoked"


def test_a_removed_member_can_be_invited_again(
    alice_client, alice, bob, company, mailoutbox, django_capture_on_commit_callbacks
):
    membership = Membership.objects.get(user=bob, account=company)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("membership_delete", args=[membership.pk]))
    _invite(alice_client, django_capture_on_commit_callbacks, "bob@example.com")
    assert Invitation.objects.filter(email="bob@example.com", status="pending").exists()
    assert mailoutbox[-1].to == ["bob@example.com"]


def test_a_wrong_password_is_rate_limited(client, alice, charlie, company):
    invitation, token = factories.invitation_create(company, "charlie@example.com", alice)
    url = reverse("invitation_join", args=[token])
    for _ in range(6):
        client.post(url, {"password": "wrong"})
    response = client.post(url, {"password": factories.PASSWORD})
    assert "Too many failed attempts" in response.content.decode()
    assert not Membership.objects.filter(user=charlie, account=company).exists()
