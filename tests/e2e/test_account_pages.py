"""The account pages allauth draws wear the portal's layout, and sign-in and sign-up
read cleanly: one "Forgot your password?", a Terms error that leaves its label whole,
Google and Facebook buttons with their marks.

alice administers My Company; a visitor has no account yet.
"""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "path, heading",
    [
        ("/accounts/password/change/", "Change Password"),
        ("/accounts/2fa/", "Two-Factor Authentication"),
        ("/accounts/2fa/totp/activate/", "Activate Authenticator App"),
        ("/accounts/sessions/", "Sessions"),
    ],
)
def test_every_account_page_is_a_card_in_the_portal_layout(page, alice, path, heading):
    sign_in(page, "alice@example.com", PASSWORD)
    page.goto(path)
    if page.get_by_role("heading", name="Confirm Access").count():
        # Activating two-factor asks for the password again, on a page of the same look.
        expect(page.locator("main .page__body.card")).to_be_visible()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("main .page__body.card")).to_be_visible()
    expect(page.get_by_role("link", name="Security Settings")).to_be_visible()
    # No bare list bullets around allauth's buttons (the "• Activate" of before).
    assert page.locator("main li:has(button), main li:has(a.button)").count() == 0


def test_sign_in_offers_forgot_your_password_once(page):
    page.goto("/accounts/login/")
    expect(page.get_by_role("link", name="Forgot your password?")).to_have_count(1)


def test_the_terms_error_leaves_the_checkbox_label_on_one_line(page):
    page.goto("/accounts/signup/")
    page.get_by_label("First Name").fill("Jane")
    page.get_by_label("Last Name").fill("Doe")
    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase")
    page.get_by_label("Repeat Password").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()

    label = page.get_by_text("I agree with the Terms of Use")
    error = page.locator(".field--checkbox .field__error")
    expect(error).to_be_visible()
    label_box, error_box = label.bounding_box(), error.bounding_box()
    # The error sits under the box and its label, which keeps its single line.
    assert error_box["y"] >= label_box["y"] + label_box["height"] - 1
    assert label_box["height"] < 30


def test_google_and_facebook_buttons_carry_their_marks(page):
    site = Site.objects.get_current()
    for provider, name in [("google", "Google"), ("facebook", "Facebook")]:
        app = SocialApp.objects.create(provider=provider, name=name, client_id="id", secret="s")
        app.sites.add(site)
    page.goto("/accounts/login/")

    for name in ["Google", "Facebook"]:
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()
        mark = button.locator("img")
        assert mark.get_attribute("src").startswith("/static/img/")
        # Loaded from the portal itself: drawn, not a broken image.
        assert mark.evaluate("img => img.complete && img.naturalWidth > 0")
