"""One confirmation for every destructive action (core/confirm.py).

Each action's URL answers GET with a page that says what will happen and to what, and
changes nothing; the page's content is what the dialog shows with JavaScript
(tests/e2e/test_confirmations.py). alice administers My Company, bob is a member.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Invitation, Membership
from api import services as api_services
from proxies.models import ProxyServer
from tests import factories
from tests.proxies import factories as proxy_factories


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _confirmation(response) -> str:
    assert response.status_code == 200
    html = _text(response)
    assert "data-dialog-content" in html
    return html


@pytest.mark.django_db
def test_block_asks_first_naming_the_member_and_what_happens(alice_client, bob, company):
    membership = Membership.objects.get(user=bob, account=company)
    url = reverse("membership_block", args=[membership.pk])

    html = _confirmation(alice_client.get(url))

    assert "Block Bob Member?" in html
    assert "Bob Member (bob@example.com) stays a member of My Company, Inc." in html
    assert f'action="{url}"' in html
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE


@pytest.mark.django_db
def test_delete_member_asks_first(alice_client, bob, company):
    membership = Membership.objects.get(user=bob, account=company)

    html = _confirmation(alice_client.get(reverse("membership_delete", args=[membership.pk])))

    assert "Delete Bob Member from My Company, Inc.?" in html
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.django_db
def test_unblock_takes_nothing_away_and_has_no_confirmation(alice_client, dave, company):
    membership = Membership.objects.get(user=dave, account=company)

    response = alice_client.get(reverse("membership_unblock", args=[membership.pk]))

    assert response.status_code == 405
    membership.refresh_from_db()
    assert membership.status == Membership.Status.BLOCKED


@pytest.mark.django_db
def test_leave_asks_first(bob_client, alice, bob, company):
    html = _confirmation(bob_client.get(reverse("business_leave")))

    assert "Leave My Company, Inc.?" in html
    assert Membership.objects.filter(user=bob, account=company).exists()


@pytest.mark.django_db
def test_withdrawing_an_invitation_asks_first(alice_client, alice, company):
    invitation, _token = factories.invitation_create(company, "nina@example.com", invited_by=alice)

    html = _confirmation(alice_client.get(reverse("invitation_revoke", args=[invitation.pk])))

    assert "Withdraw the invitation of nina@example.com?" in html
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


@pytest.mark.django_db
def test_deactivating_proxy_servers_asks_first_naming_each(alice_client, company):
    alpha = proxy_factories.proxy_create(company, server_name="alpha", site_code="A1")
    bravo = proxy_factories.proxy_create(company, server_name="bravo", site_code="B2")

    html = _confirmation(
        alice_client.get(reverse("proxy_deactivate"), {"id": [alpha.pk, bravo.pk]})
    )

    assert "Deactivate 2 proxy servers?" in html
    assert "<li><strong>alpha (A1)</strong></li>" in html
    assert f'name="id" value="{alpha.pk}"' in html
    assert set(ProxyServer.objects.values_list("status", flat=True)) == {"active"}


@pytest.mark.django_db
def test_a_regular_member_gets_no_confirmation_of_an_administrators_action(
    bob_client, alice, company
):
    membership = Membership.objects.get(user=alice, account=company)

    response = bob_client.get(reverse("membership_block", args=[membership.pk]))

    assert response.status_code == 403


@pytest.mark.django_db
def test_revoking_an_api_token_asks_first(alice_client, alice):
    token = api_services.api_token_create(user=alice, name="CI").token
    html = _confirmation(alice_client.get(reverse("api_token_revoke", args=[token.pk])))

    assert "Revoke the API token “CI”?" in html
    token.refresh_from_db()
    assert token.revoked_at is None
