"""Subscription Details → a key's gear → License Administrators → Manage Users: alice
adds bob (a Regular Member) and removes lena; nobody else may open the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog, Membership
from subscriptions.models import LicenseKeyAdministrator
from tests import factories

pytestmark = pytest.mark.django_db

# The request itself: session, user, the SSO domain of the user's address, usersessions
# (5 queries), memberships (middleware).
REQUEST = 9


def _url(key) -> str:
    return reverse("license_key_administrators", args=[key.subscription_id, key.pk])


def _remove_url(key, user) -> str:
    membership = Membership.objects.get(user=user, account=key.subscription.account)
    return reverse(
        "license_key_administrator_remove", args=[key.subscription_id, key.pk, membership.pk]
    )


def test_the_gear_of_every_key_leads_to_its_license_administrators(alice_client, lena_key):
    page = alice_client.get(reverse("subscription_detail", args=[lena_key.subscription_id]))
    assert _url(lena_key) in page.text
    assert _url(lena_key.subscription.primary_key) in page.text


def test_alice_adds_a_member_and_sees_the_list(alice_client, bob, lena, lena_key):
    page = alice_client.get(_url(lena_key))
    assert "Lena Keys" in page.text and "bob@example.com" in page.text  # candidate
    bob_m = Membership.objects.get(user=bob, account=lena_key.subscription.account)
    response = alice_client.post(_url(lena_key), {"memberships": [bob_m.pk]}, follow=True)
    assert "1 member is now License Administrator of “Branch”." in response.text
    assert set(
        LicenseKeyAdministrator.objects.filter(license_key=lena_key).values_list(
            "membership__user__email", flat=True
        )
    ) == {"bob@example.com", "lena@example.com"}


def test_an_empty_choice_is_refused_and_changes_nothing(alice_client, bob, lena_key):
    response = alice_client.post(_url(lena_key), {"memberships": []})
    assert response.status_code == 200
    assert "Choose one or more members." in response.text
    assert not LicenseKeyAdministrator.objects.exclude(membership__user__email="lena@example.com")


def test_an_account_administrator_is_not_offered_and_refused(alice, alice_client, lena_key):
    alice_m = Membership.objects.get(user=alice, account=lena_key.subscription.account)
    response = alice_client.post(_url(lena_key), {"memberships": [alice_m.pk]})
    assert response.status_code == 200  # not a valid choice
    assert not LicenseKeyAdministrator.objects.filter(membership=alice_m).exists()


def test_removing_asks_first_then_takes_effect_at_once(alice_client, lena, lena_client, lena_key):
    proxy_list = reverse("proxy_list")
    assert lena_client.get(proxy_list).status_code == 200
    confirm = alice_client.get(_remove_url(lena_key, lena))
    assert "Remove Lena Keys as License Administrator?" in confirm.text
    assert LicenseKeyAdministrator.objects.filter(license_key=lena_key).exists()
    response = alice_client.post(_remove_url(lena_key, lena), follow=True)
    assert "Lena Keys no longer administers “Branch”." in response.text
    assert not LicenseKeyAdministrator.objects.exists()
    assert AuditLog.objects.filter(action="license_key.administrator_removed").count() == 1
    assert alice_client.post(_remove_url(lena_key, lena)).status_code == 404


@pytest.mark.parametrize("who", ["bob", "lena", "charlie", "dave"])
def test_only_an_account_administrator_manages_license_administrators(
    request, who, bob, lena, lena_key
):
    client = request.getfixturevalue(f"{who}_client")
    bob_m = Membership.objects.get(user=bob, account=lena_key.subscription.account)
    assert client.get(_url(lena_key)).status_code in (403, 404)
    assert client.post(_url(lena_key), {"memberships": [bob_m.pk]}).status_code in (403, 404)
    assert client.post(_remove_url(lena_key, lena)).status_code in (403, 404)
    assert list(LicenseKeyAdministrator.objects.values_list("membership__user", flat=True)) == [
        lena.pk
    ]


def test_another_companys_key_is_not_found(alice_client, charlie, other_company):
    theirs = factories.subscription_create(other_company, licenses=3).primary_key
    assert alice_client.get(_url(theirs)).status_code == 404


def test_the_users_page_shows_the_role(alice_client, lena):
    page = alice_client.get(reverse("business_users"))
    assert "License Administrator of 1 key" in page.text


@pytest.mark.parametrize("administrators", [1, 20])
def test_the_page_runs_the_same_queries_with_one_or_many(
    alice_client, company, lena_key, administrators, django_assert_num_queries
):
    for i in range(administrators):
        user = factories.user_create(f"keeper{i}@example.com", "Keeper", f"{i:02}")
        factories.license_key_administrator_create(user, lena_key)
    for i in range(administrators):
        user = factories.user_create(f"member{i}@example.com", "Member", f"{i:02}")
        factories.membership_create(user, company)
    alice_client.get(reverse("personal_profile"))
    # The request; the subscription; the key; the administrators with their users;
    # whether there are candidates; the candidates with their users.
    with django_assert_num_queries(REQUEST + 5):
        page = alice_client.get(_url(lena_key))
    assert page.text.count("Keeper ") >= administrators
