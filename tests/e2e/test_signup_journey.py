import re

import pytest
from playwright.sync_api import expect

from accounts.models import Account, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_new_customer_signs_up_confirms_signs_out_and_back_in(page, mailoutbox):
    page.goto("/")
    page.get_by_role("link", name="Sign Up").first.click()
    expect(page.get_by_role("heading", name="Register Your Account")).to_be_visible()

    page.get_by_label("First Name").fill("Jane")
    page.get_by_label("Last Name").fill("Doe")
    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase")
    page.get_by_label("Repeat Password").fill("a-long-unusual-passphrase")
    page.get_by_label("Keep me signed in").check()
    page.get_by_label("I agree with the Terms of Use").check()
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Start with registering your product")).to_be_visible()
    expect(page.get_by_label("Account")).to_contain_text("Jane Doe (Personal Account)")
    assert Account.objects.filter(memberships__user__email="jane@example.com").count() == 1

    page.get_by_label("User menu").click()
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_role("heading", name="Welcome to My Account")).to_be_visible()

    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_label("Password").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Start with registering your product")).to_be_visible()
    assert User.objects.get(email="jane@example.com").last_login is not None


def test_the_signup_page_works_on_a_phone(phone_page):
    phone_page.goto("/accounts/signup/")
    expect(phone_page.get_by_label("First Name")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
