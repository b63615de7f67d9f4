"""Names the portal generates ("Primary Key", "Mac Management Subscription") read in the
reader's language in a stored weekly report, on its page and in its e-mail (issue 21):
the report is built once, in English, and kept."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from reports.models import WeeklyReport
from reports.services import weekly_report_build
from subscriptions.models import PRIMARY_KEY_NAME, generated_name_in_reader_words
from tests.reports import factories
from tests.reports.conftest import WEEK


@pytest.fixture
def report(company):
    subscription = factories.subscription_create(company, licenses=10)
    key = factories.primary_key(subscription)
    key.name = PRIMARY_KEY_NAME
    key.save(update_fields=["name"])
    proxy = factories.proxy_create(key, server_name="hq-proxy", site_code="HQ")
    factories.usage_week(proxy, week_start=WEEK, peaks=[4])
    with translation.override("en"):
        data = weekly_report_build(account=company, week_start=WEEK)
    return WeeklyReport.objects.create(
        account=company, week_start=WEEK, licenses=10, peak=4, over_limit=False, data=data
    )


@pytest.mark.parametrize("language", ["de", "fr", "ja", "zh-hans"])
def test_the_report_page_names_generated_names_in_the_readers_language(
    alice, alice_client, report, language
):
    alice.language = language
    alice.save(update_fields=["language"])

    html = alice_client.get(reverse("usage_report_detail", args=[report.pk])).content.decode()

    with translation.override(language):
        primary = gettext("Primary Key")
        subscription = gettext("%(product)s Subscription") % {"product": "Mac Management"}
    assert primary in html and subscription in html
    assert "Primary Key" not in html and "Mac Management Subscription" not in html


def test_names_people_gave_stay_theirs():
    with translation.override("de"):
        assert generated_name_in_reader_words("Branch Office") == "Branch Office"
        assert generated_name_in_reader_words("Subscription") == "Subscription"
        assert generated_name_in_reader_words(PRIMARY_KEY_NAME) != PRIMARY_KEY_NAME
