"""Every destructive action asks in the same dialog, saying what happens and to what.

alice administers My Company; bob is a Regular Member. Without JavaScript the same
words are a page of their own (tests/test_confirmations.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_leaving_asks_in_the_dialog_and_cancel_changes_nothing(page, alice, bob, company):
    sign_in(page, "bob@example.com", PASSWORD)
    page.goto("/account/business/")

    page.get_by_role("link", name="Leave This Business Account").click()
    dialog = page.get_by_role("dialog", name="Leave My Company, Inc.?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You lose access to its subscriptions")
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Membership.objects.filter(user=bob, account=company).exists()

    page.get_by_role("link", name="Leave This Business Account").click()
    page.get_by_role("dialog", name="Leave My Company, Inc.?").get_by_role(
        "button", name="Leave"
    ).click()
    expect(page.get_by_text("You have left My Company, Inc.")).to_be_visible()
    assert not Membership.objects.filter(user=bob, account=company).exists()


def test_deleting_a_member_asks_in_the_same_dialog(page, alice, bob, company):
    sign_in(page, "alice@example.com", PASSWORD)
    page.goto("/account/business/users/")
    page.get_by_role("link", name="Bob Member").click()
    page.get_by_role("dialog").get_by_role("link", name="Delete").click()

    confirm = page.get_by_role("dialog", name="Delete Bob Member from My Company, Inc.?")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Bob Member (bob@example.com) loses access")
    confirm.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("bob@example.com has been removed")).to_be_visible()
    assert not Membership.objects.filter(user=bob, account=company).exists()


def test_the_users_actions_menu_asks_in_the_same_dialog(page, alice, bob, company):
    sign_in(page, "alice@example.com", PASSWORD)
    page.goto("/account/business/users/")
    page.get_by_label("Select Bob Member").check()
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("button", name="Block", exact=True).click()

    confirm = page.get_by_role("dialog", name="Block 1 user?")
    expect(confirm).to_contain_text("Bob Member (bob@example.com)")
    confirm.get_by_role("button", name="Block").click()
    expect(page.get_by_text("bob@example.com: blocked.")).to_be_visible()
    assert Membership.objects.get(user=bob, account=company).status == Membership.Status.BLOCKED
