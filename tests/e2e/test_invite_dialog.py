"""Invite Users opens as a dialog on the Users list and checks each address as it is
added: "not-an-email" is refused at once, a good address joins the list.

alice administers My Company.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_invite_users_checks_each_address_as_it_is_added(page, alice, company, mailoutbox):
    sign_in(page, "alice@example.com", PASSWORD)
    page.goto("/account/business/users/")
    page.get_by_role("link", name="Invite Users").click()
    dialog = page.get_by_role("dialog", name="Invite Users")
    expect(dialog).to_be_visible()

    dialog.get_by_label("Email", exact=True).fill("not-an-email")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog.get_by_role("alert")).to_have_text("Not an email address: not-an-email")
    expect(dialog.get_by_label("Email addresses to invite")).to_have_value("")
    assert Invitation.objects.count() == 0

    dialog.get_by_label("Email", exact=True).fill("Nina@Example.com")
    dialog.get_by_label("Email", exact=True).press("Enter")
    # Reviewed by the server, in the dialog.
    expect(dialog.get_by_text("Will be invited")).to_be_visible()
    expect(dialog.get_by_label("Email addresses to invite")).to_have_value("nina@example.com")
    assert page.url.endswith("/account/business/users/")  # still the list, in the dialog
    assert Invitation.objects.count() == 0  # nothing is sent before Send

    dialog.get_by_role("button", name="Send Invitations").click()
    expect(page.get_by_text("Invitations sent to: nina@example.com.")).to_be_visible()
    assert list(Invitation.objects.values_list("email", flat=True)) == ["nina@example.com"]
