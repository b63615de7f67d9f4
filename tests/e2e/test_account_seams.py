"""Seams of the account pages seen in Chromium (issue 21): the Sessions page's Current
badge stays on one line at 1280 and 390 px in every language; Remove on the e-mail
addresses page opens the portal's confirmation dialog, never the browser's native one.

alice administers My Company.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "de", "ja"])
@pytest.mark.parametrize("fixture", ["page", "phone_page"])
def test_the_current_badge_stays_on_one_line(request, alice, fixture, language):
    page = request.getfixturevalue(fixture)
    alice.language = language
    alice.save(update_fields=["language"])
    sign_in(page, "alice@example.com", PASSWORD)

    page.goto("/accounts/sessions/")

    badge = page.locator("td .badge--ok").first
    expect(badge).to_be_visible()
    height = badge.evaluate("b => b.getBoundingClientRect().height")
    line = badge.evaluate("b => parseFloat(getComputedStyle(b).lineHeight) || 20")
    assert height < 1.8 * line, (fixture, language, height, line)


def test_removing_an_email_address_asks_in_the_portals_dialog(page, alice):
    EmailAddress.objects.create(user=alice, email="alice.private@example.net", verified=True)
    native = []
    page.on("dialog", lambda dialog: (native.append(dialog.message), dialog.dismiss()))
    sign_in(page, "alice@example.com", PASSWORD)

    page.goto("/accounts/email/")
    page.get_by_role("link", name="Remove alice.private@example.net").click()

    dialog = page.locator("#confirm-dialog")
    expect(dialog.get_by_role("heading", name="Remove alice.private@example.net?")).to_be_visible()
    dialog.get_by_role("button", name="Remove").click()
    page.wait_for_url("**/accounts/email/")
    expect(page.locator("table").get_by_text("alice.private@example.net")).to_have_count(0)
    assert native == []
    assert not EmailAddress.objects.filter(email="alice.private@example.net").exists()
