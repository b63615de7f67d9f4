"""One subscription, three pages, one set of numbers: the Dashboard, Subscription Details
and the weekly usage report (its page and its e-mail) say how far a subscription is over
its limit, what is in use and what is vacant from one function
(subscriptions.quota.subscription_availability), so they never disagree.

The scene: Main has 10 licenses, 5 of them reserved for the Lab (which uses none); the
primary key's installation manages 14 computers. The pool is 10 - 14 - 5 = -9: 19 in
use, over the limit by 9 (the Dashboard once said "14 of 10, over by 4"). Spare has 35
licenses, 9 in use: 26 vacant and not over, though a key of it is over its own quota.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from accounts.language import Recipient
from proxies.models import ProxyServer
from reports.emails import weekly_report_emails
from reports.models import WeeklyReport
from reports.services import weekly_reports_run
from tests.reports import factories
from tests.reports.conftest import MONDAY, WEEK

pytestmark = pytest.mark.django_db


def _text(html: bytes | str) -> str:
    html = html.decode() if isinstance(html, bytes) else html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _proxy(key, *, computers: int, **fields) -> ProxyServer:
    proxy = factories.proxy_create(key, **fields)
    ProxyServer.objects.filter(pk=proxy.pk).update(registered_computers=computers)
    factories.usage_week(proxy, week_start=WEEK, peaks=[computers])
    return proxy


@pytest.fixture
def scene(company):
    main = factories.subscription_create(company, licenses=10, name="Main")
    factories.sublicense_create(main, quota=5, name="Lab")
    # It reported in the week, and again after it: the report is as of the week's end.
    hq = _proxy(factories.primary_key(main), computers=14, server_name="hq")
    factories.usage_create(hq, day=date(2025, 3, 12), peak=14)
    ProxyServer.objects.filter(pk=hq.pk).update(last_report_at=datetime(2025, 3, 12, 9, tzinfo=UTC))
    spare = factories.subscription_create(company, licenses=35, name="Spare")
    _proxy(factories.primary_key(spare), computers=6)
    _proxy(factories.sublicense_create(spare, quota=3, name="Desk"), computers=4)
    return main, spare


def test_the_dashboard_details_and_weekly_report_tell_one_number_per_fact(
    alice_client, alice, company, scene, monday
):
    main, spare = scene
    dashboard = _text(alice_client.get(reverse("dashboard")).content)
    details = _text(alice_client.get(reverse("subscription_detail", args=[main.pk])).content)
    spare_details = _text(alice_client.get(reverse("subscription_detail", args=[spare.pk])).content)
    weekly_reports_run(now=MONDAY)
    report = WeeklyReport.objects.get(account=company)
    page = _text(alice_client.get(reverse("usage_report_detail", args=[report.pk])).content)
    [email] = weekly_report_emails(report=report, to=[Recipient(email=alice.email)])

    # Main: 19 in use of 10, over the limit by 9, on every page.
    assert "Shared pool over the limit by 9: 19 in use, 10 licenses." in details
    assert "Over the limit by 9: 19 in use, 10 licenses" in page
    assert "Main: 19 of 10 used, over the limit by 9" in email.body
    # Spare: 9 in use (6 + the 3 Desk holds), 26 vacant; Desk is 1 over its own quota.
    assert "Pool available to the primary key and Dynamic keys: 26 of 35." in spare_details
    assert "Spare: 9 of 35 used, 26 vacant" in email.body
    assert "Over the limit by 1: 4 in use, 3 licenses" in page and "Over the limit by 1" in (
        spare_details
    )
    # The Dashboard adds them up, subscription by subscription: Spare's vacant licenses
    # do not make up for Main's excess.
    assert "28 of 45" in dashboard and "Over the limit by 9" in dashboard
    assert "Over the limit by 9" in email.body
    # A vacant figure is never negative on the report: over the limit says by how much.
    assert not re.search(r"(^|\s)-\d", page) and not re.search(r"-\d+ vacant", email.body)
    # The last report up to the end of the week (Sunday 03/09), not the one after it.
    [hq] = [p for p in report.dated_data["proxies"] if p["server_name"] == "hq"]
    assert hq["last_report_at"].date() == date(2025, 3, 3)
