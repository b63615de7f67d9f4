"""alice invites a colleague, who joins through the emailed link; alice promotes, then blocks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from tests.e2e.conftest import open_page, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_invite_join_promote_block(
    page, browser, live_server, csp_watch, alice, company, mailoutbox
):
    sign_in(page, "alice@example.com", PASSWORD)
    expect(page.get_by_label("Account", exact=True)).to_contain_text(
        "My Company, Inc. (Business Account)"
    )
    page.get_by_role("link", name="Business Profile").click()
    expect(page.get_by_role("heading", name="Business Profile")).to_be_visible()
    page.get_by_role("link", name="Users (1)").click()
    page.get_by_role("link", name="Invite Users").click()

    page.get_by_label("Email", exact=True).fill("nina@example.com")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Will be invited")).to_be_visible()
    page.get_by_role("button", name="Send Invitations").click()
    expect(page.get_by_text("Invitations sent to: nina@example.com.")).to_be_visible()
    expect(page.get_by_role("cell", name="nina@example.com", exact=True)).to_be_visible()

    link = re.search(r"https?://\S+/account/join/\S+/", mailoutbox[-1].body).group(0)
    path = link[link.index("/account/join/") :]
    nina_context, nina = open_page(browser, live_server, csp_watch, 1280, 900)
    nina.goto(path)
    expect(nina.get_by_role("heading", name="Join My Company, Inc.")).to_be_visible()
    expect(nina.get_by_label("Email")).to_have_value("nina@example.com")
    nina.get_by_label("Name").fill("Nina Newcomer")
    nina.get_by_label("Password").fill("a-long-unusual-passphrase")
    nina.get_by_label("I agree with the Terms of Use").check()
    nina.get_by_role("button", name="Join account").click()
    expect(nina.get_by_text("Welcome to My Company, Inc.")).to_be_visible()
    expect(nina.get_by_label("Account", exact=True)).to_contain_text(
        "My Company, Inc. (Business Account)"
    )
    membership = Membership.objects.get(user__email="nina@example.com", account=company)
    assert membership.role == Membership.Role.MEMBER

    page.goto("/account/business/users/")
    page.get_by_role("link", name="Nina Newcomer").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Role").select_option(label="Account Administrator")
    dialog.get_by_label("Notes").fill("Runs the Mac fleet")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("has been saved")).to_be_visible()
    membership.refresh_from_db()
    assert membership.role == Membership.Role.ADMIN
    # Her very next request shows it: she may now invite.
    nina.goto("/account/business/users/")
    expect(nina.get_by_role("link", name="Invite Users")).to_be_visible()

    page.get_by_role("link", name="Nina Newcomer").click()
    page.get_by_role("dialog").get_by_role("link", name="Block").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm.get_by_role("heading", name="Block Nina Newcomer?")).to_be_visible()
    expect(confirm).to_contain_text("Nina Newcomer (nina@example.com) stays a member")
    confirm.get_by_role("button", name="Block").click()
    expect(page.get_by_text("nina@example.com has been blocked.")).to_be_visible()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.BLOCKED
    assert mailoutbox[-1].to == ["nina@example.com"]

    nina.goto("/")
    expect(nina.get_by_label("Account", exact=True)).to_contain_text(
        "Nina Newcomer (Personal Account)"
    )
    expect(nina.get_by_role("link", name="Business Profile")).to_have_count(0)
    nina_context.close()
