from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import AuditLog, Membership
from proxies.charts import usage_chart
from proxies.models import ProxyServer, UsageReport
from proxies.services import proxy_server_notes_update
from tests.proxies import factories as f


def detail_url(server: ProxyServer) -> str:
    return reverse("proxy_detail", args=[server.pk])


def notes_url(server: ProxyServer) -> str:
    return reverse("proxy_notes", args=[server.pk])


def test_the_general_tab_reads_like_the_guides_dialog(alice_client, company):
    server = f.proxy_create(company, site_code="T12", app_version="6.0.0.74", notes="Rack 4")
    html = alice_client.get(detail_url(server)).content.decode()
    for words in [
        "Test site stand-alone",
        "General",
        "Usage",
        "Status",
        "Activated",
        "Offline Use",
        "Site Code",
        "T12",
        "App Version",
        "6.0.0.74",
        "Activation Key",
        str(server.activation_id),
        "Activation Date",
        "Last Report Date",
        "Your notes",
        "Rack 4",
        ">Deactivate<",
        ">Save<",
    ]:
        assert words in html, words


def test_the_server_name_opens_the_details_in_a_dialog(alice_client, company):
    # With JavaScript the link fills the list's dialog with the details' card; without,
    # it opens the details page. Either way it passes the list (filter and all) as next.
    server = f.proxy_create(company)
    html = alice_client.get(reverse("proxy_list"), {"display": "all"}).content.decode()
    next_value = "/proxy-servers/%3Fdisplay%3Dall"
    assert f'href="{detail_url(server)}?next={next_value}" data-dialog-load="proxy-dialog"' in html
    assert '<dialog id="proxy-dialog" class="proxy-details" aria-label="Proxy server details">' in (
        html
    )


def test_the_details_render_both_tab_panels_the_inactive_one_hidden(alice_client, company):
    server = f.proxy_create(company)
    f.reports_create(server, [3, 7], licenses=10)
    for tab, shown, hidden in [
        (None, "general", "usage"),
        ("general", "general", "usage"),
        ("usage", "usage", "general"),
    ]:
        html = alice_client.get(detail_url(server), {"tab": tab} if tab else {}).content.decode()
        assert "data-dialog-content" in html
        assert 'role="tablist"' in html
        assert f'<div role="tabpanel" id="panel-{shown}" aria-labelledby="tab-{shown}">' in html
        assert (
            f'<div role="tabpanel" id="panel-{hidden}" aria-labelledby="tab-{hidden}" hidden>'
            in html
        )
        assert f'aria-controls="panel-{shown}" aria-selected="true"' in html
        assert f'aria-controls="panel-{hidden}" aria-selected="false"' in html
        # Both panels are there for the script to switch: the notes and the chart.
        assert 'name="notes"' in html and '<svg role="img"' in html
        # The tab links still work without JavaScript.
        assert f'href="{detail_url(server)}?tab=usage"' in html
        assert f'href="{detail_url(server)}?tab=general"' in html


def test_the_details_lead_back_to_the_list_they_came_from(alice_client, company):
    server = f.proxy_create(company)
    back = reverse("proxy_list") + "?display=all&sort=-site_code"
    html = alice_client.get(detail_url(server), {"next": back}).content.decode()
    escaped = back.replace("&", "&amp;")
    assert html.count(f'name="next" value="{escaped}"') == 1  # Save
    # Deactivate opens its confirmation, which comes back to the same list.
    assert f"?id={server.pk}&amp;next={quote(back, safe='/')}" in html
    assert f'href="{escaped}" data-close>Cancel<' in html
    # The tabs keep next, so the page opened on Usage still leads back.
    assert "?next=%2Fproxy-servers%2F%3Fdisplay%3Dall%26sort%3D-site_code&amp;tab=usage" in html


def test_opened_directly_the_details_come_back_to_themselves(alice_client, company):
    server = f.proxy_create(company)
    for query in [{}, {"next": "https://evil.example/"}]:
        html = alice_client.get(detail_url(server), query).content.decode()
        assert html.count(f'name="next" value="{detail_url(server)}"') == 1
        assert f"?id={server.pk}&amp;next={quote(detail_url(server), safe='/')}" in html
        assert f'href="{reverse("proxy_list")}" data-close>Cancel<' in html
        assert "evil.example" not in html


def test_saved_notes_come_back_to_the_list_of_the_dialog(alice_client, company):
    server = f.proxy_create(company)
    back = reverse("proxy_list") + "?display=all&page=2"
    response = alice_client.post(notes_url(server), {"notes": "Rack 4", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    response = alice_client.post(
        notes_url(server), {"notes": "Rack 5", "next": "https://evil.example/"}
    )
    assert response["Location"] == detail_url(server)
    # Refused notes show the details again, still leading back to the list.
    response = alice_client.post(notes_url(server), {"notes": "x" * 2001, "next": back})
    assert response.status_code == 400
    assert 'name="next" value="/proxy-servers/?display=all&amp;page=2"' in (
        response.content.decode()
    )


def test_an_admin_saves_notes(alice, alice_client, company):
    server = f.proxy_create(company)
    response = alice_client.post(notes_url(server), {"notes": "  Call Ann before upgrades\r\n"})
    assert response.status_code == 302
    server.refresh_from_db()
    assert server.notes == "Call Ann before upgrades"
    entry = AuditLog.objects.get(action="proxy_server.notes_updated")
    assert (entry.actor, entry.account, entry.target_id) == (alice, company, str(server.pk))
    # Saving the same text again records nothing new.
    alice_client.post(notes_url(server), {"notes": "Call Ann before upgrades"})
    assert AuditLog.objects.filter(action="proxy_server.notes_updated").count() == 1


@pytest.mark.parametrize("who", ["bob", "dave", "demoted alice"])
def test_the_notes_service_itself_refuses_an_actor_who_is_no_administrator(
    who, alice, bob, dave, company
):
    # Defence in depth, as every other write: whatever the page checked before, the
    # service re-checks the actor's role under the account's lock, so a demotion or a
    # block that commits first is seen.
    actor = {"bob": bob, "dave": dave, "demoted alice": alice}[who]
    if who == "demoted alice":
        Membership.objects.filter(user=alice, account=company).update(role=Membership.Role.MEMBER)
    server = f.proxy_create(company, notes="original")
    entries = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        proxy_server_notes_update(proxy_server=server, notes="mine", actor=actor)
    server.refresh_from_db()
    assert server.notes == "original"
    assert AuditLog.objects.count() == entries


def test_notes_that_are_too_long_are_refused(alice_client, company):
    server = f.proxy_create(company)
    response = alice_client.post(notes_url(server), {"notes": "x" * 2001})
    assert response.status_code == 400
    server.refresh_from_db()
    assert server.notes == ""


def test_the_usage_tab_lists_each_report_with_its_peak(alice_client, company):
    server = f.proxy_create(company, licenses=10)
    f.reports_create(server, [3, 7, 12], licenses=10, start=date(2026, 1, 5))
    response = alice_client.get(detail_url(server), {"tab": "usage"})
    html = response.content.decode()
    assert "01/05/2026" in html and "01/19/2026" in html
    assert [r.peak for r in response.context["usage"].reports] == [12, 7, 3]  # newest first
    assert "(over limit)" in html  # 12 of 10, in words
    assert 'id="panel-usage"' in html and 'id="panel-general"' in html


def test_the_usage_chart_is_accessible_svg_with_the_limit_line(alice_client, company):
    server = f.proxy_create(company)
    f.reports_create(server, [3, 7, 12], licenses=10)
    html = alice_client.get(detail_url(server), {"tab": "usage"}).content.decode()
    svg = html[html.index('<svg role="img"') : html.index("</svg>")]
    assert "<title" in svg and "<desc" in svg
    assert "Report date" in svg and "Computers" in svg
    assert 'class="chart-limit"' in svg and 'class="chart-peak"' in svg
    assert "License limit (10)" in html


def test_the_chart_draws_the_limit_as_steps():
    server_reports = [
        type("R", (), {"date": date(2026, 1, 1) + timedelta(weeks=i), "peak": p, "licenses": lim})
        for i, (p, lim) in enumerate([(1, 5), (2, 5), (4, 10)])
    ]
    chart = usage_chart(server_reports)
    assert chart.y_ticks[0].label == "0"
    assert int(chart.y_ticks[-1].label) > 10
    ys = {p.split(",")[1] for p in chart.limit_path.split()}
    assert len(ys) == 2  # 5 then 10
    assert usage_chart([]) is None


def test_no_reports_yet(alice_client, company):
    server = f.proxy_create(company)
    html = alice_client.get(detail_url(server), {"tab": "usage"}).content.decode()
    assert "No usage reports yet." in html


@pytest.fixture
def no_session_tracking(settings):
    settings.USERSESSIONS_TRACK_ACTIVITY = False


@pytest.mark.parametrize("n", [1, 300])
def test_the_details_run_a_fixed_number_of_queries(
    alice_client, company, django_assert_num_queries, no_session_tracking, n
):
    server = f.proxy_create(company)
    f.reports_create(server, list(range(n)))
    # 1 session, 2 user, 3 the SSO domain of the user's address, 4 memberships (the
    # current account), 5 the server with its key and subscription, 6 the subscription's
    # live keys with their usage (over the limit by the pool rule), 7 the span of its
    # reports, 8 the chart's points, 9 one page of the reports table. Both tab panels
    # render on every visit (the script switches them in place).
    with django_assert_num_queries(9):
        response = alice_client.get(detail_url(server), {"tab": "usage"})
    assert len(response.context["usage"].reports) == min(n, 30)
    with django_assert_num_queries(9):
        alice_client.get(detail_url(server))  # General first: the same queries


def daily_reports(server, peaks: list[int], *, start: date, licenses: int = 50):
    return UsageReport.objects.bulk_create(
        UsageReport(
            proxy_server=server,
            date=start + timedelta(days=i),
            registered_computers=peak,
            peak=peak,
            licenses=licenses,
        )
        for i, peak in enumerate(peaks)
    )


def test_the_usage_table_pages_through_the_reports_newest_first(alice_client, company):
    server = f.proxy_create(company)
    daily_reports(server, list(range(35)), start=date(2026, 1, 1))
    first = alice_client.get(detail_url(server), {"tab": "usage"})
    usage = first.context["usage"]
    assert [r.date for r in usage.reports][:2] == [date(2026, 2, 4), date(2026, 2, 3)]
    assert len(usage.reports) == 30 and usage.is_newest
    assert usage.older_than == date(2026, 1, 6)
    html = first.content.decode()
    assert "before=2026-01-06" in html and "Older reports" in html
    assert "Newest reports" not in html

    older = alice_client.get(detail_url(server), {"tab": "usage", "before": "2026-01-06"})
    usage = older.context["usage"]
    assert [r.date.day for r in usage.reports] == [5, 4, 3, 2, 1]
    assert usage.older_than is None and not usage.is_newest
    assert "Newest reports" in older.content.decode()


@pytest.mark.parametrize("before", ["yesterday", "2026-13-01", "", "2026-01-06T00:00"])
def test_a_page_of_reports_that_is_not_a_date_shows_the_newest(alice_client, company, before):
    server = f.proxy_create(company)
    daily_reports(server, [1, 2, 3], start=date(2026, 1, 1))
    response = alice_client.get(detail_url(server), {"tab": "usage", "before": before})
    assert response.status_code == 200
    assert [r.peak for r in response.context["usage"].reports] == [3, 2, 1]


def test_a_long_history_is_charted_by_the_highest_peak_of_each_week(alice_client, company):
    server = f.proxy_create(company)
    # 200 days: more than the chart's 120 points, so one point per week, its highest.
    peaks = [10] * 200
    peaks[9] = 70  # a Saturday, 01/10/2026, over the limit of 50
    daily_reports(server, peaks, start=date(2026, 1, 1))
    response = alice_client.get(detail_url(server), {"tab": "usage"})
    usage = response.context["usage"]
    assert usage.count == 200 and usage.period == "week"
    assert len(usage.points) <= 120
    week = next(p for p in usage.points if p.peak == 70)
    assert week.date == date(2026, 1, 11)  # the week's last report (Sunday)
    assert sum(p.peak == 70 for p in usage.points) == 1
    html = response.content.decode()
    assert "Highest peak usage of each week over 200 report dates" in html
    assert "chart-point--over" in html


def test_a_deactivated_server_shows_its_status(alice_client, company):
    server = f.proxy_create(company, status=ProxyServer.Status.DEACTIVATED)
    html = alice_client.get(detail_url(server)).content.decode()
    assert "Deactivated" in html
    assert ">Deactivate<" not in html


def test_the_details_say_over_the_limit_by_the_keys_pool_rule(alice_client, company):
    from subscriptions.models import LicenseKey

    subscription = f.subscription_create(company, licenses=10)
    f.key_create(subscription)
    f.key_create(subscription, primary=False, quota=9)
    dynamic = LicenseKey.objects.create(
        subscription=subscription, type=LicenseKey.Type.DYNAMIC, name="Dyn", quota=5
    )
    # 2 of its quota of 5, but the pool is 10 - 9 reserved - 2 = -1: over, as in the table.
    server = f.proxy_create(company, key=dynamic, registered_computers=2)
    response = alice_client.get(detail_url(server))
    assert response.context["server"].over_limit is True
    # The shared pool ran out: 2 used + 9 reserved of 10 licenses, with a way to learn why.
    html = response.content.decode()
    assert "Over the limit by 1: 11 in use, 10 licenses" in html
    assert f"/subscriptions/{subscription.pk}/#pool-help" in html


@pytest.mark.parametrize("language", ["de", "fr", "es", "it"])
def test_the_usage_chart_keeps_a_decimal_point_in_every_language(alice_client, company, language):
    server = f.proxy_create(company)
    f.reports_create(server, [3, 7, 12], licenses=10)
    alice_client.cookies["myaccount_language"] = language
    html = alice_client.get(detail_url(server), {"tab": "usage"}).content.decode()
    svg = html[html.index('<svg role="img"') : html.index("</svg>")]
    values = re.findall(r'\s(?:x|y|x1|x2|y1|y2|cx|cy|r)="([^"]*)"', svg)
    assert values and all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in values), values
