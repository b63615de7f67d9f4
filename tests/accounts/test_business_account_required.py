"""Business pages opened from the personal account (accounts.permissions).

alice administers My Company and nothing else: from her personal account a business
page takes her to My Company. charlie administers Other Corp and also works in My
Company: he has to choose. dave's only business membership is blocked: he gets a 404
that says why.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.current import SESSION_KEY
from accounts.models import Account, Membership
from tests import factories

BUSINESS_PAGES = ["business_profile", "business_users", "proxy_list", "usage_reports"]


def _personal(user) -> Account:
    return Account.objects.get(kind=Account.Kind.PERSONAL, memberships__user=user)


def _in_personal_account(client, user) -> None:
    client.post(reverse("switch_account"), {"account": _personal(user).pk})
    assert client.session[SESSION_KEY] == _personal(user).pk


@pytest.mark.parametrize("name", BUSINESS_PAGES)
def test_with_one_business_account_the_page_switches_to_it_and_opens(
    name, alice, alice_client, company
):
    _in_personal_account(alice_client, alice)

    response = alice_client.get(reverse(name))

    assert response.status_code == 200
    assert alice_client.session[SESSION_KEY] == company.pk
    html = response.content.decode()
    assert "selected>My Company, Inc. (Business Account)" in html
    assert "Switched to My Company, Inc. (Business Account)." in html


def test_the_switch_is_remembered_for_the_next_pages(alice, alice_client, company):
    _in_personal_account(alice_client, alice)
    alice_client.get(reverse("business_users"))

    html = alice_client.get(reverse("dashboard")).content.decode()

    assert "selected>My Company, Inc. (Business Account)" in html


def test_an_administrator_only_page_checks_the_role_in_the_account_switched_to(bob, bob_client):
    _in_personal_account(bob_client, bob)

    # bob is a Regular Member of My Company: switched there, he may not invite.
    assert bob_client.get(reverse("invite_users")).status_code == 403
    assert bob_client.get(reverse("business_users")).status_code == 200


@pytest.mark.parametrize("name", BUSINESS_PAGES)
def test_with_several_business_accounts_the_dashboard_asks_to_choose(
    name, charlie, charlie_client, company
):
    factories.membership_create(charlie, company, role=Membership.Role.MEMBER)
    _in_personal_account(charlie_client, charlie)

    response = charlie_client.get(reverse(name))

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert charlie_client.session[SESSION_KEY] == _personal(charlie).pk
    html = charlie_client.get(response.url).content.decode()
    assert "Choose a business account in the account selector to open this page." in html


@pytest.mark.parametrize("name", BUSINESS_PAGES)
def test_without_a_business_account_the_page_is_a_clear_404(name, dave, dave_client, settings):
    settings.DEBUG = False

    response = dave_client.get(reverse(name))

    assert response.status_code == 404
    html = response.content.decode()
    assert "This page belongs to a business account, and you are not a member of one." in html
    assert f'href="{reverse("dashboard")}"' in html


def test_a_post_from_the_personal_account_acts_in_the_only_business_account(
    alice, alice_client, bob, company
):
    _in_personal_account(alice_client, alice)
    bob_membership = Membership.objects.get(user=bob, account=company)

    response = alice_client.post(reverse("membership_block", args=[bob_membership.pk]))

    assert response.status_code == 302
    bob_membership.refresh_from_db()
    assert bob_membership.status == Membership.Status.BLOCKED
