"""A new customer registers a key with business details, finds the subscription from
the Dashboard and creates a license key in the Create License Key dialog."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from subscriptions.models import LicenseKey
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_register_a_key_then_create_a_license_key(page):
    factories.user_create("nina@example.com", "Nina", "New")
    subscription = factories.subscription_create(None, licenses=10)
    key = subscription.primary_key.key

    sign_in(page, "nina@example.com", factories.PASSWORD)
    expect(page.get_by_role("heading", name="Start with registering your product")).to_be_visible()
    page.get_by_label("License Key").fill(key.lower().replace("-", " "))
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Provide your business details")).to_be_visible()
    page.get_by_label("Company Name").fill("Acme, Inc.")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("ZIP / Postal Code").fill("8200")
    page.get_by_label("Phone").fill("+41 52 672 20 30")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    expect(page.get_by_text("Manages 10 computers")).to_be_visible()
    expect(page.get_by_label("Account")).to_contain_text("Acme, Inc. (Business Account)")
    page.get_by_role("link", name="Active subscriptions").click()

    expect(page.get_by_role("link", name="Mac Management Subscription")).to_be_visible()
    page.get_by_role("link", name="Manages 10 computers").click()
    expect(page.get_by_role("heading", name="License Keys (1)")).to_be_visible()
    page.get_by_role("link", name="Create License Key").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Quota of Licenses (1 out of 10 available)")).to_be_visible()
    dialog.get_by_label("Name").fill("Design Studio")
    dialog.get_by_label("Quota of Licenses").fill("4")
    dialog.get_by_label("Type").select_option("reserved")
    dialog.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="License Keys (2)")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Design Studio")
    expect(row).to_contain_text("Reserved")
    created = LicenseKey.objects.get(name="Design Studio")
    assert created.quota == 4 and created.subscription_id == subscription.pk
    expect(row).to_contain_text(created.key)
