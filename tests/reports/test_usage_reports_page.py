from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from reports.models import WeeklyReport
from reports.services import weekly_report_build
from tests.reports import factories
from tests.reports.conftest import WEEK

URL = "/usage-reports/"


def _report(account, week_start, *, licenses=100, peak=40, over_limit=False, data=None):
    return WeeklyReport.objects.create(
        account=account,
        week_start=week_start,
        licenses=licenses,
        peak=peak,
        over_limit=over_limit,
        data=data if data is not None else {"week_start": week_start.isoformat()},
    )


@pytest.fixture
def report(company):
    subscription = factories.subscription_create(company, licenses=100, name="Fleet")
    proxy = factories.proxy_create(
        factories.primary_key(subscription), server_name="hq-proxy", site_code="HQ"
    )
    factories.usage_week(proxy, week_start=WEEK, peaks=[80, 120])
    data = weekly_report_build(account=company, week_start=WEEK)
    return _report(company, WEEK, licenses=100, peak=120, over_limit=True, data=data)


def test_the_url_is_named_usage_reports():
    assert reverse("usage_reports") == URL


def test_a_regular_member_reads_the_list_with_its_chart(bob_client, report):
    response = bob_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Week of 03/03/2025" in html
    assert "<svg" in html and "usage-chart__bar--over" in html
    assert "over-limit" in html
    assert reverse("usage_report_detail", args=[report.id]) in html


def test_the_detail_shows_keys_proxies_and_the_over_limit_flag(alice_client, report):
    response = alice_client.get(reverse("usage_report_detail", args=[report.id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fleet" in html and "hq-proxy" in html and "HQ" in html
    assert "Over the license limit" in html
    assert "<svg" in html


def test_a_regular_member_sees_license_keys_masked(alice_client, bob_client, report):
    key = report.data["subscriptions"][0]["keys"][0]["key"]
    url = reverse("usage_report_detail", args=[report.id])
    assert key in alice_client.get(url).content.decode()
    html = bob_client.get(url).content.decode()
    assert key not in html
    assert key.rsplit("-", 1)[-1] in html


def test_another_companys_report_is_not_found(charlie_client, report):
    assert charlie_client.get(reverse("usage_report_detail", args=[report.id])).status_code == 404
    # Charlie's own (empty) list never shows My Company's weeks.
    response = charlie_client.get(URL)
    assert response.status_code == 200
    assert "Week of 03/03/2025" not in response.content.decode()


def test_a_blocked_member_never_sees_the_companys_reports(dave_client, report):
    # Dave's only active account is his personal one: the page does not exist there.
    assert dave_client.get(URL).status_code == 404
    assert dave_client.get(reverse("usage_report_detail", args=[report.id])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, report):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_list_is_paginated(alice_client, company):
    for weeks_ago in range(15):
        _report(company, WEEK - timedelta(weeks=weeks_ago))
    first = alice_client.get(URL).content.decode()
    second = alice_client.get(URL + "?page=2").content.decode()
    assert first.count('<td data-label="Week"><a href=') == 12 and "Page 1 of 2" in first
    assert second.count('<td data-label="Week"><a href=') == 3


def test_the_list_runs_a_fixed_number_of_queries(
    alice_client, company, django_assert_max_num_queries
):
    for weeks_ago in range(3):
        _report(company, WEEK - timedelta(weeks=weeks_ago))
    alice_client.get(URL)  # warm up the session and the personal-account check
    # Every signed-in page: session, user, the SSO domain of the user's address; allauth's
    # user sessions (savepoint, session, user, update, release); memberships (accounts
    # middleware) - 9 queries. This page: count, one page of reports.
    with django_assert_max_num_queries(9 + 2):
        alice_client.get(URL)
    for weeks_ago in range(3, 30):
        _report(company, WEEK - timedelta(weeks=weeks_ago))
    with django_assert_max_num_queries(9 + 2):
        assert alice_client.get(URL).status_code == 200


def test_the_detail_runs_a_fixed_number_of_queries(
    alice_client, company, report, django_assert_max_num_queries
):
    for weeks_ago in range(1, 20):
        _report(company, WEEK - timedelta(weeks=weeks_ago))
    alice_client.get(URL)
    # 9 for every signed-in page (see above), then the report and the chart's weeks.
    with django_assert_max_num_queries(9 + 2):
        assert alice_client.get(reverse("usage_report_detail", args=[report.id])).status_code == 200


def test_the_emailed_link_switches_to_the_reports_account(alice, other_company, client):
    from accounts.models import Membership
    from tests import factories as people

    people.membership_create(alice, other_company, role=Membership.Role.MEMBER)
    theirs = _report(other_company, WEEK)
    client.force_login(alice)

    response = client.get(reverse("usage_report_detail", args=[theirs.id]))

    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert followed.status_code == 200
    assert followed.context["current_account"] == other_company


NUMERIC = re.compile(r'\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height)="([^"]*)"')


@pytest.mark.parametrize("language", ["de", "fr", "es", "it"])
def test_the_chart_keeps_a_decimal_point_in_languages_with_a_decimal_comma(
    alice_client, report, language
):
    alice_client.cookies["myaccount_language"] = language
    html = alice_client.get(URL).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    values = NUMERIC.findall(svg)
    assert values and all(re.fullmatch(r"-?\d+(\.\d+)?%?", v) for v in values), values
    points = re.search(r'points="([^"]*)"', svg).group(1).split()
    assert all(re.fullmatch(r"-?\d+(\.\d+)?,-?\d+(\.\d+)?", p) for p in points), points
