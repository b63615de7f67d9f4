"""The weekly report, the License Keys table, the Proxy Servers page and the proxy
read one rule each: the report never says otherwise."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from proxies.models import ProxyServer
from proxies.selectors import license_key_availability, license_key_table
from reports.models import WeeklyReport
from reports.services import weekly_report_build, weekly_reports_run
from tests.reports import factories
from tests.reports.conftest import MONDAY, WEEK

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool_over(company):
    # 10 licenses, 8 reserved by a sublicense, the primary key's installation uses 5:
    # the primary key's pool is 10 - 8 - 5 = -3.
    subscription = factories.subscription_create(company, licenses=10, name="Main")
    primary = factories.primary_key(subscription)
    factories.sublicense_create(subscription, quota=8, name="Branch")
    proxy = factories.proxy_create(primary, server_name="hq-proxy")
    ProxyServer.objects.filter(pk=proxy.pk).update(registered_computers=5)
    factories.usage_week(proxy, week_start=WEEK, peaks=[4, 5])
    return subscription, primary


def test_the_report_is_over_the_limit_where_the_table_and_the_proxy_are(company, pool_over):
    subscription, primary = pool_over
    [row] = [
        r for r in license_key_table(subscription=subscription, today=WEEK).rows if r.key == primary
    ]
    told = license_key_availability(license_key=primary, today=WEEK)
    assert (row.vacant, row.over_limit, told.over_limit) == (-3, True, True)

    data = weekly_report_build(account=company, week_start=WEEK)

    [sub] = data["subscriptions"]
    keys = {k["name"]: k for k in sub["keys"]}
    assert (keys["Primary"]["vacant"], keys["Primary"]["over_limit"]) == (-3, True)
    assert sub["over_limit"] is True and data["totals"]["over_limit"] is True
    assert data["proxies"][0]["over_limit"] is True


def test_the_usage_reports_page_says_over_the_limit(alice_client, company, pool_over, monday):
    weekly_reports_run(now=MONDAY)
    assert WeeklyReport.objects.get(account=company).over_limit is True
    page = alice_client.get(reverse("usage_reports")).content.decode()
    assert "Over the license limit" in page and "Within limits" not in page


def test_a_server_listed_under_expired_is_expired_in_the_report(alice_client, company, monday):
    subscription = factories.subscription_create(company, licenses=10)
    ended = factories.sublicense_create(subscription, quota=2, expires_on=date(2025, 3, 8))
    server = factories.proxy_create(ended, server_name="old-lab")
    expired = alice_client.get(reverse("proxy_list"), {"display": "expired"})
    assert [s.pk for s in expired.context["servers"]] == [server.pk]

    weekly_reports_run(now=MONDAY)

    report = WeeklyReport.objects.get(account=company)
    [row] = report.data["proxies"]
    assert row["status"] == "expired"
    page = alice_client.get(reverse("usage_report_detail", args=[report.pk])).content.decode()
    assert "Activated" not in page and "Expired" in page
