"""The account selector: which account a signed-in user works in."""

from django.urls import reverse

from accounts.models import Account, Membership


def current_account(client):
    return client.get(reverse("dashboard")).context["current_account"]


def test_a_member_of_a_business_starts_in_it(alice_client, company):
    assert current_account(alice_client) == company


def test_the_selector_lists_personal_and_business_accounts(alice_client):
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert "My Company, Inc. (Business Account)" in page
    assert "Alice Admin (Personal Account)" in page
    assert '<label for="account-selector">' in page


def test_switching_changes_the_current_account_for_the_session(alice_client, alice):
    personal = Account.objects.get(kind=Account.Kind.PERSONAL, memberships__user=alice)
    response = alice_client.post(reverse("switch_account"), {"account": personal.pk})
    assert response.status_code == 302
    assert current_account(alice_client) == personal


def test_switching_to_another_companys_account_is_refused(alice_client, company, other_company):
    alice_client.post(reverse("switch_account"), {"account": other_company.pk})
    assert current_account(alice_client) == company


def test_a_blocked_member_never_gets_the_account(dave_client, company):
    dave_client.post(reverse("switch_account"), {"account": company.pk})
    account = current_account(dave_client)
    assert account != company
    assert account.kind == Account.Kind.PERSONAL


def test_a_block_takes_effect_on_the_very_next_request(bob_client, bob, company):
    assert current_account(bob_client) == company
    Membership.objects.filter(user=bob, account=company).update(status=Membership.Status.BLOCKED)
    assert current_account(bob_client) != company


def test_a_user_without_a_personal_account_gets_one(client, db):
    from accounts.models import User

    user = User.objects.create_user(
        email="root@example.com", password="x", first_name="Root", last_name="Admin"
    )
    client.force_login(user)
    assert current_account(client).kind == Account.Kind.PERSONAL


def test_switching_only_redirects_within_the_site(alice_client, alice):
    personal = Account.objects.get(kind=Account.Kind.PERSONAL, memberships__user=alice)
    response = alice_client.post(
        reverse("switch_account"), {"account": personal.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard")
