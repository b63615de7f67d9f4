"""One name per thing (issue 21): the portal is SITE_NAME ("My Account", the guide's
Parallels My Account) on every page, title, e-mail and footer, never the code's
"MyAccount"; a proxy server is a proxy server, not "Parallels Proxy"; Leave Feedback
asks about the portal, not the customer's company; the footer links the Old Version,
as the guide's "Parallels My Account Versions" says."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from myaccount.management.commands.catalogs_update import catalog_locales

BASE = Path(settings.BASE_DIR)
# The licensing format's own name, shared word for word with pmm-proxy (licensing/client).
FORMAT_NAMES = {
    "This is not a MyAccount licensing message (no armor lines found).",
    "The message is not in the MyAccount licensing format.",
}


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


@pytest.mark.django_db
def test_the_pages_name_the_portal_by_its_setting(settings, alice_client):
    settings.SITE_NAME = "Acme Licenses"

    for client, name in (
        (Client(), "account_login"),
        (Client(), "terms"),
        (alice_client, "dashboard"),
    ):
        page = client.get(reverse(name)).content.decode()
        assert _title(page).endswith("· Acme Licenses"), name
        assert '<span class="brand__mark" aria-hidden="true">M</span> Acme Licenses</a>' in page
        assert "<p>Acme Licenses · " in page, name
        assert "MyAccount" not in page and "My Account" not in page, name

    assert "Welcome to Acme Licenses" in Client().get(reverse("account_login")).content.decode()
    terms = Client().get(reverse("terms")).content.decode()
    assert "These terms govern your use of Acme Licenses, the portal" in terms


@pytest.mark.django_db
def test_the_default_name_is_the_guides(client):
    page = client.get(reverse("account_login")).content.decode()

    assert settings.SITE_NAME == "My Account"
    assert _title(page).endswith("· My Account")
    assert "Welcome to My Account" in page


@pytest.mark.django_db
def test_leave_feedback_asks_about_the_portal_not_the_company(alice_client, company):
    page = alice_client.get(reverse("feedback")).content.decode()

    assert "Tell us how My Account works for you." in page
    assert f"Tell us how {company.name}" not in page


@pytest.mark.django_db
def test_the_footer_links_the_old_version(settings, client):
    settings.OLD_VERSION_URL = "https://old.example.com/"
    page = client.get(reverse("account_login")).content.decode()
    assert '<a href="https://old.example.com/">Old Version</a>' in page

    settings.OLD_VERSION_URL = ""
    assert "Old Version" not in client.get(reverse("account_login")).content.decode()


@pytest.mark.parametrize("locale", catalog_locales())
def test_no_string_uses_another_name_for_the_portal_or_the_proxy(locale):
    catalog = polib.pofile(str(BASE / "locale" / locale / "LC_MESSAGES" / "django.po"))

    bad = [
        entry.msgid
        for entry in catalog
        if entry.msgid not in FORMAT_NAMES
        for text in (entry.msgid, entry.msgstr, *entry.msgstr_plural.values())
        if "MyAccount" in text or "Parallels Proxy" in text
    ]

    assert bad == []
