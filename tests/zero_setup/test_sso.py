"""The demo company's single sign-on under `make run`: the demo identity provider that
scripts/run.sh starts beside the portal signs Sam in, in Chromium, the way a person
does it — Continue with SSO, the IdP's own sign-in page, back to the portal's Dashboard
inside My Company, Inc., created just in time (its domain is seeded as verified)."""

from __future__ import annotations

import re

import pytest

from tests.zero_setup.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def test_the_demo_idp_user_signs_in_with_continue_with_sso(browser, portal):
    assert "Demo identity provider on http://127.0.0.1:" in portal.log_text()
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Continue with SSO").click()
    page.get_by_label("Work e-mail").fill("sam.sso@mycompany.example")
    page.get_by_role("button", name="Continue").click()
    # The IdP's own sign-in page, on its own port.
    port = portal.url.rsplit(":", 1)[1]
    page.wait_for_url(re.compile(rf"http://127\.0\.0\.1:(?!{port}/)\d+/"))
    page.locator('input[name="login"]').fill("sam.sso@mycompany.example")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form [type="submit"]').first.click()
    page.wait_for_url(f"{portal.url}/")
    assert "My Company, Inc." in page.content()
    context.close()
