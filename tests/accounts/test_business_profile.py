"""Business Profile, General tab: company, membership, Account Admins, Edit, Leave."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.current import SESSION_KEY
from accounts.models import Account, AuditLog, Membership

EDIT = {
    "name": "My Company, Inc.",
    "street": "1 Main St",
    "city": "Bellevue",
    "country": "US",
    "state": "Washington",
    "zip_code": "98004",
    "phone": "(425)123-4567",
}


def account_row(account: Account) -> dict:
    return Account.objects.filter(pk=account.pk).values().get()


def test_it_shows_the_company_membership_and_admins(alice_client, alice, bob, company):
    response = alice_client.get(reverse("business_profile"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "My Company, Inc." in html
    assert company.support_code in html
    assert "Account Administrator" in html
    assert "Leave This Business Account" in html
    assert "Edit Company Information" in html
    assert "Alice Admin" in html  # Account Admins list
    assert "Users (2)" in html
    assert ">Business Profile</a>" in html  # the nav item of a business account


def test_a_regular_member_sees_the_profile_without_edit(bob_client, bob, alice):
    html = bob_client.get(reverse("business_profile")).content.decode()
    assert "Regular Member" in html
    assert "Edit Company Information" not in html
    assert "Alice Admin" in html


def test_a_personal_account_has_no_business_profile(client, db):
    from tests.factories import user_create

    jane = user_create("jane@example.com", "Jane", "Doe")
    client.force_login(jane)
    response = client.get(reverse("dashboard"))
    assert "Jane Doe (Personal Account)" in response.content.decode()
    assert ">Business Profile</a>" not in response.content.decode()
    assert client.get(reverse("business_profile")).status_code == 404


def test_an_admin_edits_the_company_information(alice_client, company):
    response = alice_client.post(reverse("business_profile_edit"), {**EDIT, "city": "Seattle"})
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.city == "Seattle"
    assert company.street == "1 Main St"
    entry = AuditLog.objects.get(action="account.updated")
    assert entry.data["changes"]["city"] == ["", "Seattle"]


@pytest.mark.parametrize("field", ["name", "country", "state", "zip_code", "phone"])
def test_the_guides_required_fields_are_required(alice_client, company, field):
    before = account_row(company)
    # The other fields are valid and changed: none of them may be saved either.
    data = {**EDIT, "city": "Seattle", field: "  "}
    response = alice_client.post(reverse("business_profile_edit"), data)
    assert response.status_code == 200
    assert "Edit Company Information" in response.content.decode()
    assert field in response.context["form"].errors
    assert account_row(company) == before
    assert not AuditLog.objects.filter(action="account.updated").exists()


def test_a_phone_must_look_like_one(alice_client, company):
    before = account_row(company)
    data = {**EDIT, "city": "Seattle", "phone": "call me"}
    response = alice_client.post(reverse("business_profile_edit"), data)
    assert "phone" in response.context["form"].errors
    assert account_row(company) == before
    assert not AuditLog.objects.filter(action="account.updated").exists()


def test_a_regular_member_cannot_edit_the_company_information(bob_client, company):
    before = account_row(company)
    response = bob_client.post(reverse("business_profile_edit"), {**EDIT, "city": "Seattle"})
    assert response.status_code == 403
    assert account_row(company) == before
    assert not AuditLog.objects.filter(action="account.updated").exists()


def test_a_member_leaves_and_lands_in_their_personal_account(bob_client, bob, company):
    response = bob_client.post(reverse("business_leave"))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=bob, account=company).exists()
    assert AuditLog.objects.filter(action="membership.left", actor=bob).exists()
    dashboard = bob_client.get(reverse("dashboard"))
    assert dashboard.context["request"].account.kind == Account.Kind.PERSONAL
    assert SESSION_KEY not in bob_client.session


def test_the_last_admin_cannot_leave(alice_client, alice, bob, company):
    response = alice_client.post(reverse("business_leave"), follow=True)
    assert "only Account Administrator" in response.content.decode()
    assert Membership.objects.filter(user=alice, account=company).exists()
