"""Support tickets in real Chromium: an administrator opens a ticket from the
navigation with a log attached, adds a colleague as a watcher and closes it through the
confirmation dialog; the colleague, a Regular Member, finds it and reopens it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_ticket_from_the_navigation_to_closed_and_reopened(
    page, browser, live_server, alice, bob, company, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    factories.subscription_create(company, licenses=10, name="Headquarters")
    sign_in(page, "alice@example.com", factories.PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Support Tickets").click()
    expect(page.get_by_role("heading", name="No support tickets yet")).to_be_visible()
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Proxy will not activate")
    page.get_by_label("Category").select_option("technical")
    page.get_by_label("Subscription").select_option(label="Headquarters")
    page.get_by_label("Message").fill("It says the key is taken.")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "proxy.log", "mimeType": "text/plain", "buffer": b"refused\n"}]
    )
    page.get_by_role("button", name="Send ticket").click()

    expect(page.get_by_role("heading", name="Proxy will not activate")).to_be_visible()
    expect(page.get_by_role("link", name="proxy.log")).to_be_visible()
    page.get_by_label("Person").select_option(label="Bob Member (bob@example.com)")
    page.get_by_role("button", name="Add watcher").click()
    expect(page.get_by_text("Bob Member now watches this ticket.")).to_be_visible()

    page.get_by_role("link", name="Close ticket").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="Close ticket #", exact=False)).to_be_visible()
    dialog.get_by_role("button", name="Close ticket").click()
    expect(page.get_by_text("The ticket has been closed.")).to_be_visible()

    bob_page = browser.new_page(base_url=live_server.url)
    sign_in(bob_page, "bob@example.com", factories.PASSWORD)
    bob_page.goto("/support/tickets/?status=closed")
    bob_page.get_by_role("link", name="Proxy will not activate").click()
    expect(bob_page.get_by_role("button", name="Add watcher")).to_have_count(0)
    bob_page.get_by_role("button", name="Reopen ticket").click()
    expect(bob_page.get_by_text("The ticket has been reopened.")).to_be_visible()
    bob_page.close()
