import re

import pytest
from django.conf import settings
from django.test import TestCase
from django.urls import reverse

from accounts.models import Account, Membership, User
from tests.factories import user_create

VALID = {
    "first_name": "Jane",
    "last_name": "Doe",
    "email": "jane@example.com",
    "password1": "a-long-unusual-passphrase",
    "password2": "a-long-unusual-passphrase",
    "terms": "on",
}


def signup(client, **changes):
    data = {**VALID, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    # Sign-up is one transaction; its e-mail is enqueued when it commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("account_signup"), data)


def test_the_page_shows_the_guides_fields_with_labels(client, db):
    page = client.get(reverse("account_signup")).content.decode()
    for label in (
        "First Name",
        "Last Name",
        "Email",
        "Password",
        "Repeat Password",
        "Keep me signed in",
        "Terms of Use",
    ):
        assert label in page
    for field in (
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
        "keep_signed_in",
        "terms",
    ):
        assert f'for="id_{field}"' in page
    assert "Sign Up" in page


def confirm_email(client, mailoutbox):
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body).group(0)
    assert link.startswith(settings.SITE_URL + "/")
    return client.post(link.removeprefix(settings.SITE_URL))


def test_it_creates_the_user_and_a_personal_account(client, db, mailoutbox):
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="jane@example.com")
    assert (user.first_name, user.last_name) == ("Jane", "Doe")
    membership = Membership.objects.get(user=user)
    assert membership.account.kind == Account.Kind.PERSONAL
    assert membership.account.name == "Jane Doe"
    assert membership.role == Membership.Role.ADMIN
    # The email is confirmed through the link mailed to it; then the user is signed in.
    assert client.get(reverse("dashboard")).status_code == 302
    response = confirm_email(client, mailoutbox)
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "password1", "password2"])
def test_each_missing_field_is_a_clear_error_and_creates_no_user(client, db, field):
    response = signup(client, **{field: ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not User.objects.exists()
    assert not Account.objects.exists()


def test_terms_must_be_accepted(client, db):
    response = signup(client, terms=None)
    assert "Please agree with the Terms of Use to sign up." in response.content.decode()
    assert not User.objects.exists()


def test_passwords_that_differ_are_refused(client, db):
    response = signup(client, password2="another-long-passphrase")
    assert "You must type the same password each time." in response.content.decode()
    assert not User.objects.exists()


def test_djangos_password_rules_apply(client, db):
    response = signup(client, password1="12345678", password2="12345678")
    assert "This password is too common." in response.content.decode()
    assert not User.objects.exists()


def test_an_email_already_used_in_another_case_creates_no_second_user(client, db, mailoutbox):
    user_create("jane@example.com", "Jane", "Original")
    response = signup(client, email="JANE@Example.com")
    # No enumeration: the page reads like a success and an email goes to the owner.
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="jane@example.com").count() == 1
    assert User.objects.get().first_name == "Jane"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["jane@example.com"]


def test_without_keep_me_signed_in_the_session_ends_with_the_browser(client, db, mailoutbox):
    signup(client)
    confirm_email(client, mailoutbox)
    assert client.session.get_expire_at_browser_close() is True


def test_keep_me_signed_in_makes_the_session_outlive_the_browser(client, db, mailoutbox):
    signup(client, keep_signed_in="on")
    confirm_email(client, mailoutbox)
    assert client.session.get_expire_at_browser_close() is False
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_a_signed_in_user_visiting_sign_up_goes_to_the_dashboard(client, alice):
    client.force_login(alice)
    response = client.get(reverse("account_signup"))
    assert response.status_code == 302
