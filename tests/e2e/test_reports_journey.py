"""A member reads the weekly usage reports: the list with its chart, then one week."""

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from reports.services import weekly_reports_run
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD
from tests.reports import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WEEK = date(2025, 3, 3)


def test_a_member_reads_last_weeks_usage_report(page, company, bob, mailoutbox):
    subscription = factories.subscription_create(company, licenses=10, name="Fleet")
    proxy = factories.proxy_create(
        factories.primary_key(subscription), server_name="hq-proxy", site_code="HQ"
    )
    factories.usage_week(proxy, week_start=WEEK, peaks=[8, 12])
    weekly_reports_run(now=datetime(2025, 3, 10, 6, 0, tzinfo=UTC))

    sign_in(page, "bob@example.com", PASSWORD)
    page.get_by_role("navigation", name="Business pages").get_by_role(
        "link", name="Usage Reports"
    ).click()
    expect(page.get_by_role("heading", name="Usage Reports")).to_be_visible()
    expect(page.locator("svg")).to_have_count(1)
    page.get_by_role("link", name="Week of 03/03/2025").click()
    expect(page.get_by_role("cell", name="hq-proxy")).to_be_visible()
    expect(page.get_by_text("Over the license limit").first).to_be_visible()
    # bob is a Regular Member: the key is shown masked.
    assert subscription.license_keys.get().key not in page.content()
