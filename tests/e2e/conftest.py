"""Browser journeys in real headless Chromium (Debian's package), driven by Playwright.

Playwright's own browser download is not used: `make test` installs Debian's
chromium and we point Playwright at it with `executable_path`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership
from proxies.models import ProxyServer
from reports.models import WeeklyReport
from tests import factories
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (used by the journeys)
from tests.proxies import factories as proxy_factories
from webhooks import services as webhook_services


class CSPWatch:
    """Collects the Content-Security-Policy violations Chromium reports in the console.

    Every page of every browser test runs under the portal's real policy (no inline
    script or style); a violation means a page lost a script or a style, so the test fails.
    """

    def __init__(self) -> None:
        self.violations: list[str] = []

    def watch(self, page) -> None:
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.page.url if message.page else ''}: {message.text}")


@pytest.fixture
def csp_watch():
    watch = CSPWatch()
    yield watch
    if watch.violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(watch.violations))


def open_page(browser, live_server, csp_watch, width: int, height: int):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    context.set_default_timeout(10_000)
    context.on("page", csp_watch.watch)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server, settings, csp_watch):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = live_server.url  # the public address every e-mail links to
    context, page = open_page(browser, live_server, csp_watch, 1280, 900)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server, settings, csp_watch):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = live_server.url  # the public address every e-mail links to
    context, page = open_page(browser, live_server, csp_watch, 390, 844)
    yield page
    context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/")


# A business account with something on every page: alice administers "My Company, Inc."
# (a subscription, sublicenses, proxy servers, a weekly usage report, a pending
# invitation); bob is a Regular Member. The layout and accessibility tests walk it.
@pytest.fixture
def scene(alice, bob, company):
    subscription = factories.subscription_create(
        company, licenses=250, offline=True, name="Mac fleet of the Schaffhausen office"
    )
    reserved = factories.license_key_create(
        subscription, 40, type="reserved", name="Design studio, second floor"
    )
    dynamic = factories.license_key_create(subscription, 60, type="dynamic", name="Laboratory")
    proxy = proxy_factories.proxy_create(
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
    report = WeeklyReport.objects.create(
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
        "proxy": proxy,
        "report": report,
        "endpoint": endpoint,
        "delivery": delivery,
    }


def admin_pages(scene) -> dict[str, str]:
    return {
        "dashboard": "/",
        "subscriptions": "/subscriptions/",
        "subscription-details": f"/subscriptions/{scene['subscription'].pk}/",
        "proxy-servers": "/proxy-servers/",
        "proxy-servers-all": "/proxy-servers/?display=all",
        "proxy-server-details": f"/proxy-servers/{scene['proxy'].pk}/",
        "business-profile": "/account/business/",
        "users": "/account/business/users/",
        "membership": f"/account/business/users/{scene['bob'].pk}/",
        "invite-users": "/account/business/users/invite/",
        "audit-log": "/account/business/audit-log/",
        "usage-reports": "/usage-reports/",
        "usage-report": f"/usage-reports/{scene['report'].pk}/",
        "offline-operations": "/offline/",
        "support": "/support/",
        "support-tickets": "/support/tickets/",
        "support-ticket-new": "/support/tickets/new/",
        "register-key": "/register-key/",
        "personal-profile": "/account/profile/",
        "security-settings": "/account/security/",
        "api-tokens": "/account/api-tokens/",
        "change-password": "/accounts/password/change/",
        "two-factor": "/accounts/2fa/",
        "sessions": "/accounts/sessions/",
        "webhooks": "/account/business/webhooks/",
        "webhook-add": "/account/business/webhooks/new/",
        "webhook-endpoint": f"/account/business/webhooks/{scene['endpoint'].pk}/",
        "webhook-delivery": (
            f"/account/business/webhooks/{scene['endpoint'].pk}/deliveries/{scene['delivery'].pk}/"
        ),
    }


ANONYMOUS_PAGES = {
    "sign-in": "/accounts/login/",
    "sign-up": "/accounts/signup/",
    "password-reset": "/accounts/password/reset/",
    "terms": "/terms/",
}


def member_pages(scene) -> dict[str, str]:
    """What a Regular Member can open: the business pages read-only, and the 403 page
    where an administrator's page refuses them."""
    pages = admin_pages(scene)
    for admin_only in (
        "membership",
        "invite-users",
        "audit-log",
        "api-tokens",
        "webhooks",
        "webhook-add",
        "webhook-endpoint",
        "webhook-delivery",
    ):
        pages.pop(admin_only)
    pages["refused"] = "/account/business/audit-log/"
    return pages
