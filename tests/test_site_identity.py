"""One site name and one public address (SITE_NAME, SITE_URL) in every e-mail, whatever
host the request came in on."""

from __future__ import annotations

import re

import pytest
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.urls import reverse

from tests.accounts.test_signup import VALID

SITE_URL = "https://portal.example.net"


def test_the_sign_up_confirmation_names_the_site_and_links_to_its_public_address(
    client, db, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE_URL
    settings.ALLOWED_HOSTS = ["internal-web"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), VALID, HTTP_HOST="internal-web")
    assert response.status_code == 302
    [message] = mailoutbox
    assert "example.com" not in message.body.replace("jane@example.com", "")
    assert message.body.startswith("Hello Jane Doe,")
    assert "Thank you for using My Account!" in message.body
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(link.startswith(SITE_URL + "/") for link in links)
    assert message.subject.startswith("[My Account] ")


def test_the_sites_record_carries_the_site_name_and_address(db):
    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("My Account", "127.0.0.1:8000")


def test_migrate_applies_a_changed_site_name_and_address(db, settings):
    settings.SITE_NAME = "Acme Licenses"
    settings.SITE_URL = "https://licenses.acme.test:8443"
    call_command("migrate", verbosity=0)
    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("Acme Licenses", "licenses.acme.test:8443")


def test_an_invitation_links_to_the_public_address_and_names_the_site(
    alice_client, alice, company, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE_URL
    settings.SITE_NAME = "Acme Licenses"
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            reverse("invite_users"),
            {"emails": "new@example.com", "action": "send"},
            HTTP_HOST="localhost",
        )
    [message] = mailoutbox
    assert message.subject == "[Acme Licenses] Join My Company, Inc. on Acme Licenses"
    assert f"{SITE_URL}/account/join/" in message.body


def test_demo_data_says_where_to_sign_in(db, settings, capsys, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = SITE_URL
    call_command("demo_data", "--password", "demo-pass-123")
    assert f"Sign in to My Account at {SITE_URL}/ with" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("alice@example.com", "/accounts/password/reset/key/"),  # the reset link
        ("nobody@example.com", "/accounts/signup/"),  # "no account here: sign up"
    ],
)
def test_password_reset_mails_link_to_the_public_address(
    client, alice, settings, mailoutbox, django_capture_on_commit_callbacks, email, path
):
    settings.SITE_URL = SITE_URL
    settings.ALLOWED_HOSTS = ["internal-web"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": email}, HTTP_HOST="internal-web")
    [message] = mailoutbox
    links = re.findall(r"https?://\S+", message.body)
    assert any(link.startswith(SITE_URL + path) for link in links)
    assert all(link.startswith(SITE_URL + "/") for link in links)
    assert "internal-web" not in message.body
