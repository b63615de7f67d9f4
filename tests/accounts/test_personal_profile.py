from django.urls import reverse

from accounts.models import Account


def test_it_shows_the_name_and_email(alice_client):
    page = alice_client.get(reverse("personal_profile")).content.decode()
    assert 'for="id_first_name"' in page
    assert 'value="Alice"' in page
    assert "alice@example.com" in page
    assert reverse("account_email") in page


def test_renaming_renames_the_personal_account(alice_client, alice):
    response = alice_client.post(
        reverse("personal_profile"), {"first_name": "Alicia", "last_name": "Adams"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.get_full_name() == "Alicia Adams"
    personal = Account.objects.get(kind=Account.Kind.PERSONAL, memberships__user=alice)
    assert personal.name == "Alicia Adams"


def test_a_blank_name_is_refused_and_nothing_changes(alice_client, alice):
    response = alice_client.post(reverse("personal_profile"), {"first_name": "  ", "last_name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    alice.refresh_from_db()
    assert alice.get_full_name() == "Alice Admin"


def test_security_settings_link_password_mfa_and_sessions(alice_client):
    page = alice_client.get(reverse("security_settings")).content.decode()
    assert reverse("account_change_password") in page
    assert reverse("mfa_index") in page
    assert reverse("usersessions_list") in page
    assert "Two-factor authentication" in page


def test_two_factor_setup_page_offers_an_authenticator_app(alice_client):
    response = alice_client.get(reverse("mfa_activate_totp"))
    # allauth asks to re-enter the password first, or shows the QR code directly.
    assert response.status_code in (200, 302)


def test_the_sessions_page_lists_this_browser(alice_client):
    alice_client.get(reverse("dashboard"))
    response = alice_client.get(reverse("usersessions_list"))
    assert response.status_code == 200
