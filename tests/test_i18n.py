"""The portal speaks the reader's language, and dates follow the reader's time zone.

Choosing: the browser's language on a first visit, the footer's selector after that
(a cookie, and for a signed-in user also their profile), Personal Profile's Language
winning on every device once set. E-mails in the recipient's language. The API's
human messages in the caller's language, its codes in English.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polib
import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from django.utils.html import escape
from django.utils.translation import gettext

from accounts.language import Recipient
from accounts.models import User
from accounts.services import audit_log_record
from outbox.models import OutboxEmail
from reports import emails as report_emails
from reports.models import ExpiryNotice, WeeklyReport
from tests import factories
from tests.api.conftest import api_client, token_for

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


def _lang(response) -> str:
    html = response.content.decode()
    start = html.index("<html lang=") + len('<html lang="')
    return html[start : html.index('"', start)]


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_first_visit_speaks_the_browsers_language(client, language):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")

    assert _lang(response) == language
    assert response["Content-Language"] == language
    assert _in(language, "Terms of Use") in response.content.decode()
    assert _in(language, "Terms of Use") != "Terms of Use"


@pytest.mark.django_db
def test_a_browser_asking_for_an_unknown_language_gets_english(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="ko,pt;q=0.8")

    assert _lang(response) == "en"


@pytest.mark.django_db
def test_the_footers_selector_keeps_a_visitors_choice(client):
    response = client.post(
        reverse("language_choose"), {"language": "fr", "back": reverse("account_signup")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="de")
    assert _lang(page) == "fr"
    assert '<option value="fr" lang="fr" selected>' in page.content.decode()


@pytest.mark.django_db
def test_the_selector_refuses_an_unknown_language_and_a_foreign_next(client):
    response = client.post(
        reverse("language_choose"), {"language": "xx", "back": "https://evil.example/"}
    )

    assert response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_the_selector_needs_a_post(client):
    assert client.get(reverse("language_choose"), {"language": "de"}).status_code == 405


@pytest.mark.django_db
def test_a_signed_in_users_footer_choice_becomes_their_profiles(alice, alice_client):
    alice_client.post(reverse("language_choose"), {"language": "ja", "back": "/"})

    alice.refresh_from_db()
    assert alice.language == "ja"
    # Another device, another browser language: the profile wins.
    elsewhere = Client()
    elsewhere.force_login(alice)
    assert _lang(elsewhere.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="de")) == "ja"


@pytest.mark.django_db
def test_personal_profile_sets_language_and_time_zone(alice, alice_client):
    response = alice_client.post(
        reverse("personal_profile"),
        {
            "first_name": "Alice",
            "last_name": "Admin",
            "language": "de",
            "time_zone": "Europe/Berlin",
        },
        follow=True,
    )

    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("de", "Europe/Berlin")
    assert _lang(response) == "de"
    # The confirmation already speaks German.
    assert _in("de", "Your profile has been saved.") in response.content.decode()
    assert alice_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


@pytest.mark.django_db
def test_personal_profile_refuses_an_unknown_language_or_zone_and_changes_nothing(
    alice, alice_client
):
    for bad in ({"language": "klingon"}, {"time_zone": "Mars/Olympus_Mons"}):
        data = {"first_name": "Alicia", "last_name": "Admin", "language": "", "time_zone": ""}
        response = alice_client.post(reverse("personal_profile"), data | bad)

        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        alice.refresh_from_db()
        assert (alice.first_name, alice.language, alice.time_zone) == ("Alice", "", "")


@pytest.mark.django_db
def test_personal_profile_shows_labelled_language_and_time_zone(alice_client):
    html = alice_client.get(reverse("personal_profile")).content.decode()

    assert '<label for="id_language">' in html
    assert '<label for="id_time_zone">' in html
    assert '<option value="Asia/Tokyo">Japan (Tokyo)</option>' in html


@pytest.mark.django_db
def test_ends_within_30_days_counts_in_the_users_time_zone(alice, alice_client, company):
    # 23:30 on 30 November in UTC is already 1 December in Tokyo: a subscription ending
    # on 31 December ends within 30 days there, not yet in UTC.
    factories.subscription_create(company, ends_on=date(2026, 12, 31), starts_on=date(2026, 1, 1))
    with time_machine.travel(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), tick=False):
        utc = alice_client.get(reverse("subscription_list"), {"display": "ending"})
        alice.time_zone = "Asia/Tokyo"
        alice.save(update_fields=["time_zone"])
        tokyo = alice_client.get(reverse("subscription_list"), {"display": "ending"})

    assert len(utc.context["page"].object_list) == 0
    assert len(tokyo.context["page"].object_list) == 1


@pytest.mark.django_db
def test_times_are_shown_in_the_users_time_zone(alice, alice_client, company):
    alice.time_zone = "Asia/Tokyo"
    alice.save(update_fields=["time_zone"])
    with time_machine.travel(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), tick=False):
        audit_log_record(
            account=company,
            actor=alice,
            channel="web",
            action="account.updated",
            target=company,
            target_label=company.name,
            data={"changes": {}},
        )
        html = alice_client.get(reverse("audit_log")).content.decode()

    assert "12/01/2026" in html  # 08:30 on 1 December in Tokyo
    assert "11/30/2026" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invitation_is_written_in_the_inviters_language(alice, alice_client, language):
    alice.language = language
    alice.save(update_fields=["language"])

    alice_client.post(reverse("invite_users"), {"emails": "nina@example.com", "action": "send"})

    email = OutboxEmail.objects.get(kind="accounts.invitation")
    with translation.override(language):
        english_subject = "Join My Company, Inc. on My Account"
        assert email.subject != f"[My Account] {english_subject}"
        assert email.subject == "[My Account] " + gettext("Join %(account)s on %(site)s") % {
            "account": "My Company, Inc.",
            "site": "My Account",
        }


@pytest.mark.django_db
def test_an_invitation_to_an_existing_user_is_written_in_theirs(alice, alice_client):
    alice.language = "de"
    alice.save(update_fields=["language"])
    nina = factories.user_create("nina@example.com", "Nina", "New")
    nina.language = "ja"
    nina.save(update_fields=["language"])

    alice_client.post(reverse("invite_users"), {"emails": "nina@example.com", "action": "send"})

    email = OutboxEmail.objects.get(kind="accounts.invitation")
    assert email.subject == "[My Account] " + _in("ja", "Join %(account)s on %(site)s") % {
        "account": "My Company, Inc.",
        "site": "My Account",
    }


def _weekly_report(company) -> WeeklyReport:
    return WeeklyReport.objects.create(
        account=company,
        week_start=date(2031, 3, 17),
        licenses=10,
        peak=2,
        data={
            "week_start": "2031-03-17",
            "week_end": "2031-03-23",
            "subscriptions": [],
            "proxies": [],
            "expiring_keys": [],
            "totals": {"licenses": 10, "peak": 2, "vacant": 8, "over_limit": False},
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_weekly_report_is_written_in_each_recipients_language(company, language):
    report = _weekly_report(company)

    drafts = report_emails.weekly_report_emails(
        report=report,
        to=[Recipient("a@example.com", language), Recipient("b@example.com", "en")],
    )

    by_address = {tuple(d.to): d for d in drafts}
    theirs, english = by_address[("a@example.com",)], by_address[("b@example.com",)]
    assert "Weekly usage report" in english.subject
    assert "Weekly usage report" not in theirs.subject
    with translation.override(language):
        week = formats.date_format(date(2031, 3, 17), "SHORT_DATE_FORMAT")
        subject = gettext("Weekly usage report for %(account)s, week of %(week)s")
    assert theirs.subject == "[My Account] " + subject % {"account": company.name, "week": week}
    for part in (theirs.body, theirs.html):
        assert "Weekly usage report" not in part
        assert "See the report and past weeks" not in part


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_expiry_notice_is_written_in_the_recipients_language(company, language):
    subscription = factories.subscription_create(company, ends_on=date(2031, 3, 25))
    notice = ExpiryNotice.objects.create(
        account=company,
        kind=ExpiryNotice.Kind.SUBSCRIPTION,
        object_id=subscription.pk,
        ends_on=date(2031, 3, 25),
        days_before=7,
    )

    [draft] = report_emails.expiry_notice_emails(
        notice=notice,
        name="Fleet",
        subscription_name="Fleet",
        days_left=7,
        to=[Recipient("a@example.com", language)],
    )

    assert "ends in 7 days" not in draft.subject
    assert "Fleet" in draft.subject
    sentence = "When it ends, its license keys stop working"
    assert sentence not in draft.body and sentence not in draft.html
    assert _in(language, "Manage your subscriptions") in draft.html


@pytest.mark.django_db
def test_allauths_password_reset_mail_speaks_the_users_language(client, alice):
    alice.language = "it"
    alice.save(update_fields=["language"])

    client.post(reverse("account_reset_password"), {"email": alice.email})

    email = OutboxEmail.objects.get(kind__startswith="allauth.")
    assert "Password Reset" not in email.subject
    assert mail.outbox == [] or all(m.subject != "Password Reset" for m in mail.outbox)


@pytest.mark.django_db
def test_signing_up_in_a_language_keeps_it(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "zoe@example.com",
            "first_name": "Zoe",
            "last_name": "Zed",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
            "terms": "on",
        },
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert User.objects.get(email="zoe@example.com").language == "es"


@pytest.mark.django_db
def test_the_api_answers_human_messages_in_the_callers_language_and_codes_in_english(
    alice, company
):
    # A script with a token: the API speaks what the caller's Accept-Language asks for.
    alice_api = api_client(token_for(alice))
    url = reverse("api_subscription", args=[company.pk, 999999])
    english = alice_api.get(url).json()["error"]
    german = alice_api.get(url, HTTP_ACCEPT_LANGUAGE="de").json()["error"]

    assert german["code"] == english["code"] == "not_found"
    assert german["message"] != english["message"]


@pytest.mark.django_db
def test_the_javascript_catalog_speaks_the_language_its_address_names(client):
    # Whatever the browser asks for: the page links the catalog of its own language.
    response = client.get(reverse("javascript_catalog", args=["de"]), HTTP_ACCEPT_LANGUAGE="ja")

    assert response.status_code == 200
    catalog = polib.pofile(str(settings.BASE_DIR / "locale/de/LC_MESSAGES/djangojs.po"))
    german = catalog.find("Type an email address first.").msgstr
    assert german and german != "Type an email address first."
    assert json.dumps(german)[1:-1] in response.content.decode()


@pytest.mark.django_db
def test_a_language_the_portal_does_not_speak_has_no_catalog(client):
    assert client.get(reverse("javascript_catalog", args=["xx"])).status_code == 404


@pytest.mark.django_db
def test_the_javascript_catalog_is_not_sent_again_to_a_browser_that_has_it(client):
    url = reverse("javascript_catalog", args=["ja"])
    first = client.get(url)
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert again.status_code == 304


@pytest.mark.django_db
def test_a_reader_who_changes_language_is_given_the_new_languages_catalog(alice, alice_client):
    """A browser keeps the catalog it has until the next deploy: a page in another
    language must link another address, or its buttons would speak the old language."""
    assert 'src="/jsi18n/en/"' in alice_client.get("/").content.decode()

    User.objects.filter(pk=alice.pk).update(language="de")

    page = alice_client.get("/").content.decode()
    assert '<html lang="de">' in page
    assert 'src="/jsi18n/de/"' in page and "/jsi18n/en/" not in page


@pytest.mark.django_db
def test_a_reason_the_portal_stored_in_english_is_shown_in_the_readers_language(
    alice, alice_client, company, settings
):
    from webhooks import services as webhook_services

    settings.DEBUG = True  # an http:// endpoint on loopback
    endpoint = webhook_services.endpoint_create(
        account=company,
        actor=alice,
        url="http://127.0.0.1:9/hooks",
        description="",
        event_types=["member.blocked"],
    ).endpoint
    endpoint.enabled = False
    endpoint.disabled_reason = "Every delivery attempt failed for 5 days."
    endpoint.save()
    alice.language = "de"
    alice.save(update_fields=["language"])

    html = alice_client.get(reverse("webhook_endpoint", args=[endpoint.pk])).content.decode()

    assert _in("de", "Every delivery attempt failed for 5 days.") in html
    assert "Every delivery attempt failed" not in html


@pytest.mark.django_db
def test_the_not_found_page_says_why_in_the_readers_language(alice, alice_client):
    alice.language = "fr"
    alice.save(update_fields=["language"])

    response = alice_client.get(reverse("proxy_detail", args=[999999]))

    assert response.status_code == 404
    assert escape(_in("fr", "No such proxy server.")) in response.content.decode()
    assert "No such proxy server." not in response.content.decode()
