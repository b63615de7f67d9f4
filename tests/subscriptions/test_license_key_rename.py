"""Rename a key with the pencil on its License Keys row (the name only).

alice administers My Company; bob is a Regular Member.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from subscriptions import services
from subscriptions.errors import SubscriptionError
from tests import factories


@pytest.fixture
def subscription(company):
    return factories.subscription_create(company, licenses=10)


@pytest.fixture
def design(subscription):
    return factories.license_key_create(subscription, 3, name="Design")


def test_the_pencil_on_the_row_opens_the_rename_form(alice_client, subscription, design):
    url = reverse("license_key_rename", args=[subscription.pk, design.pk])
    page = alice_client.get(reverse("subscription_detail", args=[subscription.pk]))

    assert f'href="{url}" data-dialog-load="modify-key-dialog" aria-label="Rename Design"' in (
        page.content.decode()
    )
    assert alice_client.get(url).status_code == 200


def test_it_renames_the_key_and_records_it(alice_client, alice, subscription, design):
    url = reverse("license_key_rename", args=[subscription.pk, design.pk])

    response = alice_client.post(url, {"name": "  Design studio  "})

    assert response.status_code == 302
    design.refresh_from_db()
    assert (design.name, design.quota, design.type) == ("Design studio", 3, "reserved")
    entry = AuditLog.objects.get(action="license_key.renamed")
    assert (entry.actor, entry.data["name_before"]) == (alice, "Design")


def test_an_empty_name_is_refused_and_nothing_changes(alice_client, subscription, design):
    url = reverse("license_key_rename", args=[subscription.pk, design.pk])

    response = alice_client.post(url, {"name": "   "})

    assert response.status_code == 200
    design.refresh_from_db()
    assert design.name == "Design"
    assert not AuditLog.objects.filter(action="license_key.renamed").exists()


def test_a_regular_member_cannot_rename(bob_client, alice, subscription, design):
    url = reverse("license_key_rename", args=[subscription.pk, design.pk])

    assert bob_client.post(url, {"name": "Mine"}).status_code == 403
    design.refresh_from_db()
    assert design.name == "Design"


def test_the_primary_key_keeps_its_name(alice, subscription):
    with pytest.raises(SubscriptionError) as error:
        services.license_key_rename(license_key=subscription.primary_key, actor=alice, name="X")
    assert error.value.code == "primary_key_readonly"


def test_the_confirmation_names_the_new_name(alice_client, subscription):
    lab = factories.license_key_create(subscription, 2, name="Summer Lab 2")
    url = reverse("license_key_rename", args=[subscription.pk, lab.pk])

    page = alice_client.post(url, {"name": "Branch Office"}, follow=True)

    assert "The license key is now called “Branch Office”." in page.content.decode()
    assert "now called “Summer Lab 2”" not in page.content.decode()
