"""On a 390 px phone no page scrolls sideways: wide tables scroll inside their frame.

alice administers "My Company, Inc." with a subscription, sublicenses, proxy servers,
a weekly usage report and a pending invitation; she opens every page of the portal.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership
from proxies.models import ProxyServer
from reports.models import WeeklyReport
from tests import factories
from tests.e2e.conftest import sign_in
from tests.proxies import factories as proxy_factories
from webhooks import services as webhook_services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
SELECTED_TEXT_FITS = """el => {
  const style = getComputedStyle(el);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = ctx.measureText(el.options[el.selectedIndex].text).width;
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return text + padding + 16 <= el.clientWidth;
}"""


@pytest.fixture
def scene(alice, bob, company):
    subscription = factories.subscription_create(
        company, licenses=250, offline=True, name="Mac fleet of the Schaffhausen office"
    )
    reserved = factories.license_key_create(
        subscription, 40, type="reserved", name="Design studio, second floor"
    )
    dynamic = factories.license_key_create(subscription, 60, type="dynamic", name="Laboratory")
    proxy_factories.proxy_create(
        company,
        key=reserved,
        server_name="sccm-proxy-design-studio.corp.example.com",
        site_code="DS1",
        site_description="Design studio stand-alone server",
        registered_computers=45,
        last_report_at=timezone.now(),
        notes="A long note about this server that should wrap instead of widening the page.",
    )
    proxy_factories.proxy_create(
        company,
        key=dynamic,
        server_name="lab-proxy",
        site_code="LB2",
        status=ProxyServer.Status.DEACTIVATED,
    )
    factories.invitation_create(company, "nina.newcomer.with.a.long.address@example.com", alice)
    week = date(2025, 1, 6)
    WeeklyReport.objects.create(
        account=company,
        week_start=week,
        licenses=250,
        peak=120,
        over_limit=False,
        data={"week_start": week.isoformat()},
    )
    WeeklyReport.objects.create(
        account=company,
        week_start=week - timedelta(days=7),
        licenses=250,
        peak=260,
        over_limit=True,
        data={"week_start": (week - timedelta(days=7)).isoformat()},
    )
    endpoint = webhook_services.endpoint_create(
        account=company,
        actor=alice,
        url="https://hooks.ticketing.example.com/myaccount/webhooks/incoming/events",
        description="The ticketing system of the Schaffhausen office",
        event_types=["sublicense.changed", "member.blocked"],
    ).endpoint
    event = company.webhook_events.create(
        public_id="evt_" + "0123456789abcdef" * 2,
        type="sublicense.changed",
        occurred_at=timezone.now(),
        body="{}",
        ordering_key="sublicense:1",
    )
    delivery = endpoint.deliveries.create(event=event, ordering_key=event.ordering_key)
    delivery.attempts.create(
        started_at=timezone.now(), status_code=503, error="No answer: ReadTimeoutError " * 3
    )
    return {
        "subscription": subscription,
        "bob": Membership.objects.get(user=bob, account=company),
        "endpoint": endpoint,
        "delivery": delivery,
    }


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_no_page_scrolls_sideways_on_a_phone(phone_page, scene):
    page = phone_page
    sign_in(page, "alice@example.com", factories.PASSWORD)
    pages = {
        "Dashboard": "/",
        "Subscriptions": "/subscriptions/",
        "Subscription details": f"/subscriptions/{scene['subscription'].pk}/",
        "Proxy Servers": "/proxy-servers/",
        "Business Profile": "/account/business/",
        "Users": "/account/business/users/",
        "Membership": f"/account/business/users/{scene['bob'].pk}/",
        "Invite Users": "/account/business/users/invite/",
        "Usage Reports": "/usage-reports/",
        "Offline Operations": "/offline/",
        "Webhooks": "/account/business/webhooks/",
        "Add endpoint": "/account/business/webhooks/new/",
        "Webhook endpoint": f"/account/business/webhooks/{scene['endpoint'].pk}/",
        "Webhook delivery": (
            f"/account/business/webhooks/{scene['endpoint'].pk}/deliveries/{scene['delivery'].pk}/"
        ),
    }
    too_wide = {}
    for name, path in pages.items():
        response = page.goto(path)
        assert response.status == 200, (name, response.status)
        width = _page_width(page)
        if width > PHONE_WIDTH:
            too_wide[name] = width
    assert too_wide == {}


def test_the_header_keeps_the_avatar_in_the_nav_row_and_the_account_readable(phone_page, scene):
    page = phone_page
    sign_in(page, "alice@example.com", factories.PASSWORD)
    avatar = page.locator(".user-menu summary").bounding_box()
    dashboard = page.locator(".site-nav").get_by_role("link", name="Dashboard").bounding_box()
    # The avatar sits on the same row as the navigation links, inside the screen.
    assert abs(avatar["y"] + avatar["height"] / 2 - (dashboard["y"] + dashboard["height"] / 2)) < 12
    assert avatar["x"] + avatar["width"] <= PHONE_WIDTH
    selector = page.get_by_label("Account", exact=True)
    expect(selector).to_contain_text("My Company, Inc. (Business Account)")
    box = selector.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    # Wide enough to read the selected account's whole name (text + padding + arrow).
    assert selector.evaluate(SELECTED_TEXT_FITS)
    assert _page_width(page) <= PHONE_WIDTH


def test_the_anonymous_header_fits_and_sign_up_looks_like_a_button(phone_page):
    page = phone_page
    page.goto("/accounts/login/")
    sign_up = page.locator(".site-header").get_by_role("link", name="Sign Up")
    style = sign_up.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.borderBottomStyle, s.borderBottomColor, s.backgroundColor]; }"
    )
    # A white outline on the red bar, not a red button on red.
    assert style == ["solid", "rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"]
    assert _page_width(page) <= PHONE_WIDTH
