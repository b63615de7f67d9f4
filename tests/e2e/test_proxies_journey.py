"""An administrator looks after the company's proxy servers in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from proxies.models import ProxyServer
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD
from tests.proxies import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_filters_picks_columns_edits_notes_deactivates_and_exports(page, alice, company):
    today = timezone.localdate()
    alpha = f.proxy_create(company, server_name="alpha", site_code="A01", licenses=5)
    f.reports_create(alpha, [2, 4, 6], licenses=5)
    f.proxy_create(company, server_name="bravo", site_code="B02", ends_on=today + timedelta(days=9))
    f.proxy_create(company, server_name="delta", status=ProxyServer.Status.DEACTIVATED)

    sign_in(page, alice.email, PASSWORD)
    page.goto("/proxy-servers/")
    expect(page.get_by_role("heading", name="Proxy Servers (3)")).to_be_visible()
    table = page.locator("table.proxy-table")

    # Display filter: the drop-down submits itself.
    page.get_by_label("Display").select_option(label="Deactivated (1)")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("delta")
    page.get_by_label("Display").select_option(label="Expiring soon (1)")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("bravo")
    page.get_by_label("Display").select_option(label="All (3)")
    expect(table.locator("tbody tr")).to_have_count(3)

    # The gear picks the columns, and the choice sticks.
    page.get_by_label("Columns").click()
    page.get_by_label("Notes", exact=True).check()
    page.get_by_label("App Version").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(table.get_by_role("columnheader", name="Notes")).to_be_visible()
    expect(table.get_by_role("columnheader", name="App Version")).to_have_count(0)
    page.reload()
    expect(table.get_by_role("columnheader", name="Notes")).to_be_visible()

    # A server name opens its details in a dialog: General first, then Usage with the
    # chart; notes saved there bring the list back, still with its columns.
    list_url = page.url
    page.get_by_role("link", name="alpha").click()
    details = page.get_by_role("dialog", name="alpha")
    expect(details).to_be_visible()
    expect(page).to_have_url(list_url)
    expect(details.get_by_role("tab", name="General")).to_have_attribute("aria-selected", "true")
    expect(details.get_by_text("Activated", exact=True)).to_be_visible()
    details.get_by_role("tab", name="Usage").click()
    expect(details.get_by_role("tab", name="Usage")).to_have_attribute("aria-selected", "true")
    expect(details.locator("svg[role=img]")).to_be_visible()
    expect(details.locator("svg[role=img] title").first).to_contain_text("Peak usage of alpha")
    expect(details.locator("table.usage-table tbody tr")).to_have_count(3)
    expect(details.get_by_label("Your notes")).to_be_hidden()
    expect(page).to_have_url(list_url)  # the tabs leave the list's address alone

    # Cancel closes the dialog without a change.
    details.get_by_role("tab", name="General").click()
    details.get_by_label("Your notes").fill("not saved")
    details.get_by_role("link", name="Cancel").click()
    expect(details).to_be_hidden()
    alpha.refresh_from_db()
    assert alpha.notes == ""

    page.get_by_role("link", name="alpha").click()
    expect(details).to_be_visible()
    expect(details.get_by_label("Your notes")).to_have_value("")
    details.get_by_label("Your notes").fill("Rack 4, ask Ann before upgrades")
    details.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your notes have been saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Proxy Servers (3)")).to_be_visible()
    expect(page).to_have_url(list_url)
    alpha.refresh_from_db()
    assert alpha.notes == "Rack 4, ask Ann before upgrades"

    # Without the dialog the details are a page, and its tabs switch in place too.
    page.goto(f"/proxy-servers/{alpha.pk}/")
    page.get_by_role("tab", name="Usage").click()
    expect(page.locator("table.usage-table tbody tr")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"\?tab=usage$"))
    page.get_by_role("tab", name="General").click()
    expect(page.get_by_label("Your notes")).to_have_value("Rack 4, ask Ann before upgrades")

    # Back on the list, select and deactivate with confirmation.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Proxy Servers"
    ).click()
    expect(table).to_contain_text("Rack 4, ask Ann before upgrades")
    # The details' Deactivate asks first, in the one confirmation dialog; cancelled,
    # nothing changes.
    page.get_by_role("link", name="alpha").click()
    expect(details).to_be_visible()
    details.get_by_role("link", name="Deactivate").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm.get_by_role("heading", name="Deactivate 1 proxy server?")).to_be_visible()
    expect(confirm).to_contain_text("alpha")
    confirm.get_by_role("link", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(details).to_be_visible()
    alpha.refresh_from_db()
    assert alpha.status == ProxyServer.Status.ACTIVE
    details.get_by_role("link", name="Close").click()
    expect(details).to_be_hidden()

    page.get_by_label("Select alpha").check()
    page.get_by_text("Actions").click()
    page.locator("[data-deactivate-open]").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("alpha")
    dialog.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("Deactivated: alpha.")).to_be_visible()
    alpha.refresh_from_db()
    assert alpha.status == ProxyServer.Status.DEACTIVATED
    expect(page.get_by_label("Display")).to_contain_text("Deactivated (2)")

    # Export the selected row to CSV.
    page.get_by_label("Select bravo").check()
    page.get_by_text("Actions").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export to CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("proxy-servers-")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "Server Name,License Key" in content
    assert "bravo" in content
    assert "alpha" not in content and "delta" not in content


def test_a_regular_member_sees_the_list_without_actions_to_change_it(page, bob, company):
    f.proxy_create(company, server_name="alpha")
    sign_in(page, bob.email, PASSWORD)
    page.goto("/proxy-servers/")
    expect(page.locator("table.proxy-table")).to_contain_text("alpha")
    page.get_by_text("Actions").click()
    expect(page.get_by_role("button", name="Export to CSV")).to_be_visible()
    expect(page.locator("[data-deactivate-open]")).to_have_count(0)
    page.get_by_role("link", name="alpha").click()
    expect(page.get_by_role("button", name="Deactivate")).to_have_count(0)
    expect(page.get_by_label("Your notes")).to_have_count(0)
