"""One voice per language: the formal register everywhere a customer reads.

Each language's glossary (locale/glossary/<locale>.md) lists the forms it forbids (the
informal "du", "tu", "tú", あなた, 你 ...; the over-the-limit phrasing that reads as "the
limit of 12"). They are checked against every msgstr of our catalogs, against every
string allauth and Django can show (as gettext resolves it, so our catalog's formal
translation must win over theirs: accounts/vendor_strings.py), and against the pages and
e-mails of signing in, out and up, resetting a password and managing e-mail addresses.

Exceptions, and why:
- allauth's identity-provider (idp) and headless strings: those apps are not installed.
- Django admin (django/contrib/admin): staff read it, not customers.
- The few msgids in NEVER_SHOWN below.
- Code on a page (<code>, <pre>: `pmm-proxy --state DIR`) is not prose.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import allauth
import django
import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext, to_language

from accounts.models import User
from myaccount.management.commands.catalogs_update import catalog_locales
from outbox.models import OutboxEmail
from tests.e2e.conftest import ANONYMOUS_PAGES as E2E_ANONYMOUS_PAGES
from tests.e2e.conftest import admin_pages, scene  # noqa: F401 (scene: a fixture)

BASE = Path(settings.BASE_DIR)
LOCALES = catalog_locales()
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

# allauth's and Django's strings no page of ours shows, so none needs our translation.
NEVER_SHOWN = {
    # templates/account/email/base_message.txt opens allauth's e-mails with our greeting.
    "Hello from %(site_name)s!",
    # Django's welcome page of a project without URLs.
    'You are seeing this page because <a href="https://docs.djangoproject.com/en/%(version)s'
    '/ref/settings/#debug" target="_blank" rel="noopener">DEBUG=True</a> is in your settings'
    " file and you have not configured any URLs.",
}


@cache
def forbidden(locale: str) -> tuple[str, ...]:
    """The backticked forms of the glossary's "Forbidden" paragraph."""
    text = (BASE / "locale" / "glossary" / f"{locale}.md").read_text()
    paragraphs = [p for p in text.split("\n\n") if p.startswith("Forbidden")]
    assert paragraphs, f"{locale}.md has no Forbidden paragraph"
    forms = tuple(form for p in paragraphs for form in re.findall(r"`([^`]+)`", p))
    assert forms, locale
    return forms


def offences(locale: str, text: str) -> list[str]:
    """The glossary's forbidden forms in `text`: whole words (any case) in alphabetic
    scripts, anywhere in Japanese and Chinese."""
    found = []
    for form in forbidden(locale):
        # A placeholder in a form ("Oltre il limite di %(over_by)s") stands for itself in
        # a catalog and for a number on a page.
        pattern = re.sub(r"%\\\(\w+\\\)s", lambda m: r"(?:%\(\w+\)s|\d+)", re.escape(form))
        if CJK.search(form):
            hit = re.search(pattern, text)
        else:
            hit = re.search(rf"(?<![\w'’-]){pattern}(?![\w'’-])", text, re.I)
        if hit:
            found.append(form)
    return found


def _msgstrs(entry: polib.POEntry) -> list[str]:
    return [entry.msgstr, *entry.msgstr_plural.values()]


@pytest.mark.parametrize("domain", ["django", "djangojs"])
@pytest.mark.parametrize("locale", LOCALES)
def test_our_catalogs_use_none_of_the_glossarys_forbidden_forms(locale, domain):
    catalog = polib.pofile(str(BASE / "locale" / locale / "LC_MESSAGES" / f"{domain}.po"))

    bad = {
        entry.msgid: found
        for entry in catalog
        for text in _msgstrs(entry)
        if (found := offences(locale, text))
    }

    assert bad == {}


def _vendor_entries(locale: str) -> list[polib.POEntry]:
    """allauth's and Django's strings that can reach a customer: not obsolete, not of
    allauth's idp or headless apps, not Django admin's."""
    catalogs = [
        Path(allauth.__file__).parent / "locale" / locale / "LC_MESSAGES" / "django.po",
        Path(django.__file__).parent / "conf" / "locale" / locale / "LC_MESSAGES" / "django.po",
        Path(django.__file__).parent
        / "contrib"
        / "auth"
        / "locale"
        / locale
        / "LC_MESSAGES"
        / "django.po",
    ]
    entries = []
    for path in catalogs:
        for entry in polib.pofile(str(path)):
            places = [place for place, _line in entry.occurrences]
            if (
                entry.obsolete
                or entry.msgid in NEVER_SHOWN
                or (
                    places
                    and all(p.startswith(("templates/idp", "idp/", "headless/")) for p in places)
                )
            ):
                continue
            if "allauth" in str(path) and not places:
                continue  # allauth's catalog keeps strings its code no longer has
            entries.append(entry)
    return entries


def _resolved(entry: polib.POEntry) -> list[str]:
    """What a page shows for this msgid in the active language."""
    if entry.msgid_plural:
        return [ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2, 5, 1000000)]
    if entry.msgctxt:
        return [pgettext(entry.msgctxt, entry.msgid)]
    return [gettext(entry.msgid)]


@pytest.mark.parametrize("locale", LOCALES)
def test_allauths_and_djangos_strings_read_formally_through_our_catalog(locale):
    entries = _vendor_entries(locale)
    assert len(entries) > 300, "allauth's and Django's catalogs were not found"

    with translation.override(to_language(locale)):
        bad = {
            entry.msgid: found
            for entry in entries
            for text in _resolved(entry)
            if (found := offences(locale, text))
        }

    # A new allauth or Django release with another informal string: re-mark it in
    # accounts/vendor_strings.py and translate it (`make messages-update`).
    assert bad == {}


def test_the_glossaries_forbid_the_informal_forms_the_issue_found():
    assert {"du", "dich", "dein"} <= set(forbidden("de"))
    assert {"tu", "toi", "ton"} <= set(forbidden("fr"))
    assert {"tú", "te"} <= set(forbidden("es"))
    assert {"tu", "ti", "tuo", "hai"} <= set(forbidden("it"))
    assert {"あなた", "こんにちは"} <= set(forbidden("ja"))
    assert {"你"} <= set(forbidden("zh_Hans"))
    assert offences("de", "Bist du sicher, dass du dich abmelden möchtest?")
    assert offences("it", "Hai dimenticato la tua password?")
    assert offences("zh_Hans", "你的密码不能全都是数字。")
    assert not offences("de", "Möchten Sie sich wirklich abmelden?")
    assert not offences("it", "Ha dimenticato la password?")
    # The over-the-limit line says by how much, not "the limit of N".
    assert offences("it", "Oltre il limite di 6: 36 in uso, 30 licenze")
    assert offences("ja", "12 の上限超過")
    assert not offences("it", "6 oltre il limite: 36 in uso, 30 licenze")


def _visible(page: str) -> str:
    """The page's prose: not its scripts, styles or code (`pmm-proxy --state DIR`)."""
    page = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


ANONYMOUS_PAGES = ["account_login", "account_signup", "account_reset_password"]
SIGNED_IN_PAGES = [
    "account_logout",
    "account_email",
    "account_change_password",
    "mfa_index",
    "usersessions_list",
    "security_settings",
    "personal_profile",
]


@pytest.mark.django_db
@pytest.mark.parametrize("locale", LOCALES)
def test_the_account_pages_speak_formally(locale, alice):
    language = to_language(locale)
    alice.language = language
    alice.save(update_fields=["language"])
    visitor = Client(HTTP_ACCEPT_LANGUAGE=language)
    member = Client(HTTP_ACCEPT_LANGUAGE=language)
    member.force_login(alice)

    bad = {}
    for client, names in ((visitor, ANONYMOUS_PAGES), (member, SIGNED_IN_PAGES)):
        for name in names:
            response = client.get(reverse(name))
            assert response.status_code == 200, name
            assert f'<html lang="{language}"' in response.content.decode(), name
            if found := offences(locale, _visible(response.content.decode())):
                bad[name] = found

    assert bad == {}


@pytest.mark.django_db
@pytest.mark.parametrize("locale", LOCALES)
def test_the_password_reset_mail_greets_the_reader_formally(locale, alice):
    alice.language = to_language(locale)
    alice.save(update_fields=["language"])

    Client().post(reverse("account_reset_password"), {"email": alice.email})

    email = OutboxEmail.objects.get(to=[alice.email])
    assert offences(locale, email.subject + email.body) == []
    with translation.override(alice.language):
        greeting = gettext("Hello %(name)s,") % {"name": alice.get_full_name()}
    assert email.body.startswith(greeting)


@pytest.mark.django_db
def test_japanese_mails_open_with_the_name_and_sama(alice):
    alice.language = "ja"
    alice.save(update_fields=["language"])

    Client().post(reverse("account_reset_password"), {"email": alice.email})

    body = OutboxEmail.objects.get(to=[alice.email]).body
    assert body.startswith(f"{alice.get_full_name()} 様")
    assert "こんにちは" not in body
    assert "あなた" not in body
    with translation.override("ja"):
        assert gettext("Hello,") == "ご担当者様"


@pytest.mark.django_db
def test_a_mail_to_someone_without_an_account_opens_without_a_name():
    User.objects.filter(email="nobody@example.com").delete()
    settings_language = {"HTTP_ACCEPT_LANGUAGE": "ja"}

    Client(**settings_language).post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}
    )

    email = OutboxEmail.objects.filter(to=["nobody@example.com"]).first()
    if email is not None:  # allauth writes to unknown addresses only when configured to
        assert email.body.startswith("ご担当者様")


@pytest.mark.django_db
@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_of_the_portal_speaks_formally(locale, alice, alice_client, request):
    """Every page an Account Administrator and a visitor open (the browser tests' crawl
    list), rendered in each language: none of the glossary's forbidden forms."""
    pages = admin_pages(request.getfixturevalue("scene"))
    alice.language = to_language(locale)
    alice.save(update_fields=["language"])
    visitor = Client(HTTP_ACCEPT_LANGUAGE=to_language(locale))

    bad = {}
    for client, paths in ((alice_client, pages), (visitor, E2E_ANONYMOUS_PAGES)):
        for name, path in paths.items():
            response = client.get(path)
            assert response.status_code == 200, (name, response.status_code)
            if found := offences(locale, _visible(response.content.decode())):
                bad[name] = found

    assert bad == {}
