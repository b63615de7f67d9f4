"""Issue 22's journey in real Chromium: alice sets single sign-on up step by step (each
step turns green as it is done), then erin, who has never used the portal, continues
with SSO at the company's IdP (allauth's own, a second process) and lands in the
business account as a Regular Member."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from sso.models import SsoDomain
from tests import factories
from tests.e2e.conftest import sign_in
from tests.sso.conftest import IDP_ADMINS, IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _step(page, key: str):
    return page.locator(f'li.sso-step[data-step="{key}"]')


def _continue_with_sso(browser, live_server, email: str):
    """A colleague, in a browser of their own, chooses Continue with SSO on the sign-in
    page and gives their work e-mail: the browser context and its page, now on the way
    to the company's IdP."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    person = context.new_page()
    person.goto("/accounts/login/")
    person.get_by_role("link", name="Continue with SSO").click()
    person.get_by_label("Work e-mail").fill(email)
    person.get_by_role("button", name="Continue").click()
    return context, person


def test_an_administrator_sets_sso_up_and_a_new_colleague_signs_in(
    page,
    browser,
    live_server,
    alice,
    company,
    dns_responder,
    oidc_provider,
):
    sign_in(page, "alice@example.com", factories.PASSWORD)
    page.goto("/account/business/")
    page.get_by_role("navigation", name="Business Profile").get_by_role(
        "link", name="Single Sign-On"
    ).click()
    expect(_step(page, "domains")).to_have_attribute("aria-current", "step")
    expect(_step(page, "domains").get_by_text("To do")).to_be_visible()

    # 1. The domain, its TXT record published at "DNS", verified.
    page.get_by_role("textbox", name="Domain").fill("mycompany.example")
    page.get_by_role("button", name="Add domain").click()
    record = page.locator("code.txt-record").inner_text()
    assert record == SsoDomain.objects.get().txt_record
    dns_responder.publish("mycompany.example", record)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("mycompany.example is verified.")).to_be_visible()
    expect(_step(page, "domains").get_by_text("Done")).to_be_visible()
    expect(_step(page, "idp")).to_have_attribute("aria-current", "step")

    # 2. The IdP: the page shows the redirect URI to register there.
    redirect_uri = page.locator("code.redirect-uri").inner_text()
    assert redirect_uri == f"{live_server.url}/accounts/oidc/sso-{company.pk}/login/callback/"
    oidc_provider.allow_redirect(redirect_uri)
    page.get_by_label("Issuer URL").fill(oidc_provider.issuer)
    page.get_by_label("Client ID").fill(IDP_CLIENT_ID)
    page.get_by_label("Client secret").fill(IDP_CLIENT_SECRET)
    page.get_by_role("button", name="Save and check").click()
    expect(page.get_by_text("The identity provider is connected.")).to_be_visible()
    expect(_step(page, "idp").get_by_text("Done")).to_be_visible()

    # 3. Roles.
    page.get_by_label("Administrators' group").fill(IDP_ADMINS)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(_step(page, "roles").get_by_text("Done")).to_be_visible()
    expect(_step(page, "enforce")).to_have_attribute("aria-current", "step")

    # erin, in a browser of her own, continues with SSO.
    context, erin = _continue_with_sso(browser, live_server, "erin@mycompany.example")
    erin.wait_for_url(f"{oidc_provider.issuer}/**")  # the company's sign-in page
    erin.locator('input[name="login"]').fill("erin@mycompany.example")
    erin.locator('input[name="password"]').fill(IDP_PASSWORD)
    erin.locator('form button[type="submit"]').first.click()
    erin.wait_for_url(f"{live_server.url}/**")
    # Signed in, in the business account (the account selector has it chosen).
    expect(erin.locator("option:checked", has_text="My Company, Inc.")).to_have_count(1)
    context.close()
    membership = Membership.objects.get(user__email="erin@mycompany.example", account=company)
    assert membership.role == Membership.Role.MEMBER


def test_an_administrator_connects_a_saml_idp_and_a_colleague_signs_in_as_administrator(
    page,
    browser,
    live_server,
    alice,
    company,
    dns_responder,
    saml_provider,
):
    """The same journey with SAML 2.0: alice gives the portal her IdP's metadata URL and
    the IdP the portal's metadata; frank, in the administrators' group there, continues
    with SSO and lands in the business account as an Account Administrator."""
    sign_in(page, "alice@example.com", factories.PASSWORD)
    page.goto("/account/business/sso/")
    page.get_by_role("textbox", name="Domain").fill("mycompany.example")
    page.get_by_role("button", name="Add domain").click()
    dns_responder.publish("mycompany.example", page.locator("code.txt-record").inner_text())
    page.get_by_role("button", name="Verify").click()
    expect(_step(page, "idp")).to_have_attribute("aria-current", "step")

    # 2. SAML 2.0: what the IdP needs of the portal, then the IdP's metadata URL.
    page.locator("#idp-saml summary").click()
    slug = f"sso-{company.pk}"
    entity_id = f"{live_server.url}/accounts/saml/{slug}/metadata/"
    expect(page.locator("code.saml-entity-id")).to_have_text(entity_id)
    expect(page.locator("code.saml-acs-url")).to_have_text(
        f"{live_server.url}/accounts/saml/{slug}/acs/"
    )
    page.get_by_label("Metadata URL").fill(saml_provider.metadata_url)
    page.locator("#idp-saml").get_by_role("button", name="Save and check").click()
    expect(page.get_by_text("The identity provider is connected.")).to_be_visible()
    expect(_step(page, "idp").get_by_text("Done")).to_be_visible()
    # The administrator gives the IdP the portal's metadata, from the link on the page
    # (step 2, done, is folded; its SAML part opens with it).
    page.locator("#step-idp > summary").click()
    link = page.locator("a.saml-metadata")
    expect(link).to_have_attribute("href", entity_id)
    metadata = page.request.get(entity_id)
    assert metadata.ok and f'entityID="{entity_id}"' in metadata.text()
    saml_provider.trust(metadata.text())

    # 3. Roles: the `groups` attribute names the administrators' group.
    page.get_by_label("Administrators' group").fill(IDP_ADMINS)
    page.locator("#step-roles").get_by_role("button", name="Save", exact=True).click()
    expect(_step(page, "roles").get_by_text("Done")).to_be_visible()

    # frank, in a browser of his own, continues with SSO at the company's SAML IdP.
    context, frank = _continue_with_sso(browser, live_server, "frank@mycompany.example")
    frank.wait_for_url(f"{saml_provider.base}/sso**")  # the company's sign-in page
    frank.get_by_label("E-mail").fill("frank@mycompany.example")
    frank.get_by_label("Password").fill(IDP_PASSWORD)
    frank.get_by_role("button", name="Sign in").click()
    # The IdP's page posts the signed response to the portal's ACS.
    frank.wait_for_url(f"{live_server.url}/**")
    # Signed in, in the business account (its account selectors have it chosen).
    expect(frank.locator("option:checked", has_text="My Company, Inc.").first).to_be_attached()
    context.close()
    membership = Membership.objects.get(user__email="frank@mycompany.example", account=company)
    assert membership.role == Membership.Role.ADMIN
