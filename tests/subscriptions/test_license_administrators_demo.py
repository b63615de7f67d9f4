"""The demo shows a License Administrator: Bianca Ruiz administers the Branch Office
key of My Company and signs in with the demo password."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from subscriptions.models import LicenseKeyAdministrator


def test_the_demo_has_a_license_administrator_of_the_branch_office(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")
    call_command("demo_data", "--password", "demo-pass-123")  # twice: still one role
    [role] = LicenseKeyAdministrator.objects.select_related("membership__user", "license_key")
    assert (role.membership.user.email, role.license_key.name) == (
        "branch.admin@example.com",
        "Branch Office",
    )
    client = Client()
    assert client.login(email="branch.admin@example.com", password="demo-pass-123")
    page = client.get(reverse("dashboard"))
    assert "Branch Office" in page.text and "Design Studio" not in page.text
