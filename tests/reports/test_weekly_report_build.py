from __future__ import annotations

from datetime import UTC, date, datetime

from proxies.models import ProxyServer
from reports.services import week_start_for, weekly_report_build
from subscriptions.models import LicenseKey
from tests.reports import factories
from tests.reports.conftest import MONDAY, WEEK


def test_the_week_is_the_last_full_week_before_now():
    assert week_start_for(now=MONDAY) == WEEK
    assert week_start_for(now=datetime(2025, 3, 16, 23, 59, tzinfo=UTC)) == WEEK
    assert week_start_for(now=datetime(2025, 3, 17, 0, 0, tzinfo=UTC)) == date(2025, 3, 10)


def test_it_reports_peak_vacant_and_over_limit_per_subscription_and_key(company):
    subscription = factories.subscription_create(company, licenses=100, name="Main")
    primary = factories.primary_key(subscription)
    lab = factories.sublicense_create(subscription, quota=10, name="Lab")
    main_proxy = factories.proxy_create(primary, server_name="hq-proxy", site_code="HQ")
    lab_proxy = factories.proxy_create(lab, server_name="lab-proxy", site_code="LAB")
    factories.usage_week(main_proxy, week_start=WEEK, peaks=[40, 55, 50])
    factories.usage_create(main_proxy, day=date(2025, 3, 2), peak=99)  # the week before
    factories.usage_create(main_proxy, day=date(2025, 3, 10), peak=98)  # the week after
    factories.usage_week(lab_proxy, week_start=WEEK, peaks=[9, 12])

    data = weekly_report_build(account=company, week_start=WEEK)

    assert data["week_start"] == "2025-03-03"
    assert data["week_end"] == "2025-03-09"
    [sub] = data["subscriptions"]
    # The subscription as Subscription Details' pool line and the Dashboard say it: in
    # use, the primary key's 55 and the 10 reserved for the Lab; 35 vacant, not over.
    assert (sub["name"], sub["licenses"], sub["peak"], sub["vacant"]) == ("Main", 100, 65, 35)
    assert (sub["over_limit"], sub["over_by"]) == (False, 0)
    keys = {k["name"]: k for k in sub["keys"]}
    assert (keys["Primary"]["licenses"], keys["Primary"]["peak"]) == (100, 55)
    # The License Keys table's pool rule: the primary key has 100 - 55 - 10 reserved for
    # the Lab; the Lab, reserved, is 2 over its quota.
    assert keys["Primary"]["vacant"] == 35 and keys["Primary"]["over_limit"] is False
    assert (keys["Lab"]["licenses"], keys["Lab"]["peak"], keys["Lab"]["vacant"]) == (10, 12, -2)
    assert (keys["Lab"]["over_limit"], keys["Lab"]["over_by"]) == (True, 2)
    proxies = {p["server_name"]: p for p in data["proxies"]}
    assert proxies["hq-proxy"]["site_code"] == "HQ"
    assert proxies["hq-proxy"]["key"] == primary.key
    assert (proxies["hq-proxy"]["peak"], proxies["hq-proxy"]["over_limit"]) == (55, False)
    assert (proxies["lab-proxy"]["peak"], proxies["lab-proxy"]["over_limit"]) == (12, True)
    # The report is over the limit: a proxy whose key is over refuses new enrolments.
    assert data["totals"] == {
        "licenses": 100,
        "peak": 65,
        "vacant": 35,
        "over_by": 0,
        "over_limit": True,
    }


def test_it_lists_servers_silent_for_more_than_seven_days(company):
    subscription = factories.subscription_create(company)
    primary = factories.primary_key(subscription)
    other = factories.sublicense_create(subscription, quota=5)
    gone = factories.sublicense_create(subscription, quota=5)
    factories.proxy_create(
        primary, server_name="silent", last_report_at=datetime(2025, 3, 2, 12, tzinfo=UTC)
    )
    factories.proxy_create(
        other, server_name="fresh", last_report_at=datetime(2025, 3, 8, 12, tzinfo=UTC)
    )
    factories.proxy_create(
        gone,
        server_name="deactivated long ago",
        status=ProxyServer.Status.DEACTIVATED,
        last_report_at=datetime(2025, 1, 1, tzinfo=UTC),
    )

    data = weekly_report_build(account=company, week_start=WEEK)

    assert [p["server_name"] for p in data["stale_proxies"]] == ["silent"]
    assert "deactivated long ago" not in [p["server_name"] for p in data["proxies"]]


def test_a_servers_last_report_is_the_last_one_up_to_the_weeks_end(company):
    subscription = factories.subscription_create(company)
    after = datetime(2025, 3, 12, 9, tzinfo=UTC)  # it has reported since the week ended
    in_week = factories.proxy_create(
        factories.primary_key(subscription), server_name="in week", last_report_at=after
    )
    factories.usage_create(in_week, day=date(2025, 3, 5), peak=3)
    factories.usage_create(in_week, day=date(2025, 3, 12), peak=4)
    before = factories.proxy_create(
        factories.sublicense_create(subscription), server_name="before", last_report_at=after
    )
    factories.usage_create(before, day=date(2025, 2, 20), peak=1)
    factories.usage_create(before, day=date(2025, 3, 12), peak=1)

    data = weekly_report_build(account=company, week_start=WEEK)

    last = {p["server_name"]: p["last_report_at"] for p in data["proxies"]}
    assert last == {"in week": "2025-03-05", "before": "2025-02-20"}
    # As of the week's end, the one that last reported before the week was silent.
    assert [p["server_name"] for p in data["stale_proxies"]] == ["before"]


def test_it_lists_keys_that_end_within_thirty_days(company):
    subscription = factories.subscription_create(company, ends_on=date(2025, 12, 31))
    factories.sublicense_create(subscription, name="Soon", expires_on=date(2025, 4, 9))
    factories.sublicense_create(subscription, name="Later", expires_on=date(2025, 4, 10))
    deleted = factories.sublicense_create(
        subscription, name="Deleted", expires_on=date(2025, 3, 20)
    )
    LicenseKey.objects.filter(pk=deleted.pk).update(deleted_at=datetime(2025, 3, 5, tzinfo=UTC))
    ending = factories.subscription_create(company, ends_on=date(2025, 3, 20), name="Ending")

    data = weekly_report_build(account=company, week_start=WEEK)

    expiring = {(k["name"], k["days_left"]) for k in data["expiring_keys"]}
    assert expiring == {("Soon", 30), ("Primary", 10)}
    assert {k["subscription"] for k in data["expiring_keys"]} == {
        subscription.display_name,
        ending.display_name,
    }


def test_another_accounts_usage_never_shows(company, other_company):
    mine = factories.subscription_create(company)
    theirs = factories.subscription_create(other_company)
    factories.usage_week(
        factories.proxy_create(factories.primary_key(theirs)), week_start=WEEK, peaks=[80]
    )
    factories.proxy_create(factories.primary_key(mine), server_name="mine")

    data = weekly_report_build(account=company, week_start=WEEK)

    assert [s["id"] for s in data["subscriptions"]] == [mine.id]
    assert [p["server_name"] for p in data["proxies"]] == ["mine"]
    assert data["totals"]["peak"] == 0
