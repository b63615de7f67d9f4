"""One date format everywhere, from the reader's locale (SHORT_DATE_FORMAT): no page,
report or e-mail writes its own. In German a date reads 30.11.2026; the English
form (11/30/2026) and ISO text (2026-11-30) appear nowhere.

alice administers My Company with a subscription, a key, a proxy server, an invitation
and a weekly usage report.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.language import Recipient
from reports import emails
from reports.models import WeeklyReport
from tests import factories
from tests.proxies import factories as proxy_factories

ENDS = date(2031, 3, 25)  # day 25: never a month, so d/m and m/d cannot be confused


@pytest.fixture
def german(alice):
    """alice reads the portal and her e-mails in German (Personal Profile)."""
    alice.language = "de"
    alice.save(update_fields=["language"])
    with translation.override("de"):
        yield


@pytest.fixture
def scene(alice, company):
    subscription = factories.subscription_create(company, licenses=10, ends_on=ENDS)
    key = factories.license_key_create(subscription, 3, name="Design")
    proxy_factories.proxy_create(company, key=key, server_name="alpha")
    factories.invitation_create(company, "nina@example.com", alice)
    report = WeeklyReport.objects.create(
        account=company,
        week_start=date(2031, 3, 17),
        licenses=10,
        peak=2,
        data={
            "week_start": "2031-03-17",
            "week_end": "2031-03-23",
            "subscriptions": [
                {
                    "name": "Fleet",
                    "licenses": 10,
                    "peak": 2,
                    "vacant": 8,
                    "over_limit": False,
                    "ends_on": ENDS.isoformat(),
                    "keys": [],
                }
            ],
            "proxies": [],
            "expiring_keys": [
                {
                    "name": "Design",
                    "key": "AAAAA-BBBBB-CCCCC-DDDDD",
                    "subscription": "Fleet",
                    "end_date": ENDS.isoformat(),
                    "days_left": 5,
                }
            ],
            "totals": {"licenses": 10, "peak": 2, "vacant": 8, "over_limit": False},
        },
    )
    return {"subscription": subscription, "report": report}


def _us_or_iso(text: str) -> list[str]:
    # What a reader sees: a date input's value and max stay ISO, as HTML requires.
    text = re.sub(r"<[^>]*>", " ", text)
    return re.findall(r"\b03/25/2031\b|\b2031-03-25\b|\b03/17/2031\b|\b2031-03-(?:17|23)\b", text)


@pytest.mark.django_db
def test_pages_write_dates_in_the_locales_short_format(german, alice_client, scene):
    pages = [
        reverse("subscription_detail", args=[scene["subscription"].pk]),
        reverse("subscription_list"),
        reverse("usage_report_detail", args=[scene["report"].pk]),
        reverse("usage_reports"),
        reverse("support"),
    ]
    for url in pages:
        html = alice_client.get(url).content.decode()
        assert _us_or_iso(html) == [], url
    detail = alice_client.get(pages[0]).content.decode()
    assert "25.03.2031" in detail
    report = alice_client.get(pages[2]).content.decode()
    assert "17.03.2031 – 23.03.2031" in report


@pytest.mark.django_db
def test_the_weekly_report_email_writes_dates_in_the_recipients_short_format(alice, scene):
    [draft] = emails.weekly_report_emails(
        report=scene["report"], to=[Recipient("alice@example.com", language="de")]
    )

    assert "17.03.2031" in draft.subject
    assert _us_or_iso(draft.body + draft.html) == []
    assert "25.03.2031" in draft.body


@pytest.mark.django_db
def test_the_default_locale_keeps_the_guides_month_first_dates(alice_client, scene):
    html = alice_client.get(reverse("usage_report_detail", args=[scene["report"].pk]))
    assert "03/17/2031 – 03/23/2031" in html.content.decode()
