from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import PASSWORD


def login(client, email, password=PASSWORD, remember=False):
    data = {"login": email, "password": password}
    if remember:
        data["remember"] = "on"
    return client.post(reverse("account_login"), data)


def test_it_signs_in_with_email_in_any_case(client, alice):
    response = login(client, "ALICE@example.com")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_a_wrong_password_is_refused(client, alice):
    response = login(client, "alice@example.com", "wrong password")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )


def test_keep_me_signed_in_decides_the_session_length(client, alice):
    login(client, "alice@example.com")
    assert client.session.get_expire_at_browser_close() is True
    client.logout()
    login(client, "alice@example.com", remember=True)
    assert client.session.get_expire_at_browser_close() is False


def test_failed_logins_are_rate_limited(client, alice):
    for _ in range(5):
        login(client, "alice@example.com", "wrong password")
    response = login(client, "alice@example.com")
    assert response.status_code in (200, 429)
    assert SESSION_KEY not in client.session


def test_logout_ends_the_session(alice_client):
    alice_client.post(reverse("account_logout"))
    assert SESSION_KEY not in alice_client.session
    assert alice_client.get(reverse("dashboard")).status_code == 302


def test_pages_need_a_signed_in_user(client, db):
    for name in ("dashboard", "personal_profile", "security_settings", "register_key"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_the_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_password_reset_does_not_tell_who_has_an_account(
    client, alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
        unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    reset_mails = [m for m in mailoutbox if "alice@example.com" in m.to]
    assert len(reset_mails) == 1
    assert "/accounts/password/reset/key/" in reset_mails[0].body


def test_the_sign_in_page_uses_the_guides_words(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert '<label for="id_login"' in page and ">Email</label>" in page
    assert ">Keep me signed in</label>" in page
    assert "Remember Me" not in page
