"""In Chromium: alice opens a key's License Administrators from Subscription Details,
adds bob; bob's very next page shows only that key's proxy servers, and he deactivates
one; alice removes him (with confirmation) and he is a Regular Member again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from proxies.models import ProxyServer
from subscriptions.models import LicenseKeyAdministrator
from tests import factories
from tests.e2e.conftest import open_page, sign_in
from tests.factories import PASSWORD
from tests.proxies import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_add_scope_deactivate_remove(page, browser, live_server, csp_watch, alice, bob, company):
    subscription = factories.subscription_create(company, licenses=10, name="Headquarters")
    design = factories.license_key_create(subscription, quota=2, name="Design")
    f.proxy_create(company, key=design, server_name="Design site")
    f.proxy_create(company, server_name="Elsewhere site")

    sign_in(page, "alice@example.com", PASSWORD)
    page.goto(f"/subscriptions/{subscription.pk}/")
    page.get_by_role("link", name="License Administrators of Design").click()
    expect(page.get_by_role("heading", name="Manage Users")).to_be_visible()
    page.get_by_label("Bob Member (bob@example.com)").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("1 member is now License Administrator of “Design”.")).to_be_visible()

    bob_context, bob_page = open_page(browser, live_server, csp_watch, 1280, 900)
    sign_in(bob_page, "bob@example.com", PASSWORD)
    bob_page.goto("/proxy-servers/")
    expect(bob_page.get_by_role("link", name="Design site")).to_be_visible()
    expect(bob_page.get_by_role("link", name="Elsewhere site")).to_have_count(0)
    server = ProxyServer.objects.get(server_name="Design site")
    bob_page.goto(f"/proxy-servers/{server.pk}/")
    bob_page.get_by_role("link", name="Deactivate").click()
    bob_page.locator("#confirm-dialog").get_by_role("button", name="Deactivate").click()
    expect(bob_page.get_by_text("Deactivated: Design site.")).to_be_visible()
    server.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATED

    page.reload()
    page.get_by_role("link", name="Remove").click()
    confirm = page.locator("#confirm-dialog")
    expect(
        confirm.get_by_role("heading", name="Remove Bob Member as License Administrator?")
    ).to_be_visible()
    confirm.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Bob Member no longer administers “Design”.")).to_be_visible()
    assert not LicenseKeyAdministrator.objects.exists()
    bob_page.goto("/proxy-servers/")
    expect(bob_page.get_by_role("link", name="Elsewhere site")).to_be_visible()
    bob_context.close()
