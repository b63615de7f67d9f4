"""In a real browser: an administrator blacklists a proxy server from the list's
selection, lifts it from its details, and moves another server to a free license key;
a Regular Member sees none of those buttons."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from proxies.models import ProxyServer
from subscriptions.models import LicenseKey
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD
from tests.proxies import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_blacklists_lifts_and_moves(page, alice, company):
    subscription = f.subscription_create(company, licenses=10)
    primary = f.key_create(subscription)
    lab = LicenseKey.objects.create(
        subscription=subscription, type=LicenseKey.Type.DYNAMIC, name="Mobile Lab", quota=6
    )
    rogue = f.proxy_create(
        company, server_name="rogue", key=f.key_create(f.subscription_create(company))
    )
    hq = f.proxy_create(company, server_name="hq", key=primary, registered_computers=4)

    sign_in(page, alice.email, PASSWORD)
    page.goto("/proxy-servers/")
    page.get_by_label("Select rogue").check()
    page.get_by_text("Actions").click()
    page.locator("[data-blacklist-open]").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm.get_by_role("heading", name="Blacklist 1 proxy server?")).to_be_visible()
    confirm.get_by_role("button", name="Blacklist").click()
    expect(page.get_by_text("Blacklisted: rogue.")).to_be_visible()
    page.get_by_label("Display").select_option(label="Blacklisted (1)")
    expect(page.locator("table.proxy-table tbody tr")).to_have_count(1)
    rogue.refresh_from_db()
    assert (rogue.status, rogue.is_blacklisted) == (ProxyServer.Status.DEACTIVATED, True)

    # Its details lift it, after a confirmation.
    page.get_by_role("link", name="rogue").click()
    details = page.get_by_role("dialog", name="rogue")
    details.get_by_role("link", name="Lift blacklisting").click()
    confirm.get_by_role("button", name="Lift blacklisting").click()
    expect(page.get_by_text("rogue may activate again.")).to_be_visible()
    rogue.refresh_from_db()
    assert not rogue.is_blacklisted

    # Move hq to the Mobile Lab key: its details, then the dialog to choose the key.
    page.goto("/proxy-servers/")
    page.get_by_role("link", name="hq").click()
    details = page.get_by_role("dialog", name="hq")
    details.get_by_role("link", name="Move to another key").click()
    form = page.locator("#confirm-dialog")
    form.get_by_label("Move to the license key").select_option(value=str(lab.pk))
    form.get_by_role("button", name="Move").click()
    expect(page.get_by_text("hq now uses the license key Mobile Lab.")).to_be_visible()
    hq.refresh_from_db()
    assert hq.license_key == lab


def test_a_regular_member_sees_no_blacklist_or_move(page, bob, company):
    server = f.proxy_create(company, server_name="hq")
    sign_in(page, bob.email, PASSWORD)
    page.goto(f"/proxy-servers/{server.pk}/")
    expect(page.get_by_role("heading", name="hq")).to_be_visible()
    expect(page.get_by_role("link", name="Blacklist")).to_have_count(0)
    expect(page.get_by_role("link", name="Move to another key")).to_have_count(0)
    page.goto("/proxy-servers/")
    expect(page.locator("[data-blacklist-open]")).to_have_count(0)
