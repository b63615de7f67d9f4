"""Remove on the e-mail addresses page asks with the portal's one confirmation (a page
without JavaScript, the dialog with it), not the browser's native confirm() (issue 21);
the confirmation posts to allauth's own removal."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse


@pytest.fixture
def second(alice) -> EmailAddress:
    EmailAddress.objects.get_or_create(
        user=alice, email=alice.email, defaults={"primary": True, "verified": True}
    )
    return EmailAddress.objects.create(user=alice, email="alice.private@example.net", verified=True)


def _confirm_url(email: str) -> str:
    return reverse("email_remove") + "?" + urlencode({"email": email})


def test_remove_opens_the_portals_confirmation_not_a_native_one(alice_client, second):
    page = alice_client.get(reverse("account_email")).content.decode()

    assert "confirmDelete" not in page and "confirm(" not in page
    assert f'href="{_confirm_url(second.email).replace("&", "&amp;")}"' in page
    assert 'data-dialog-load="confirm-dialog"' in page
    # The primary address has no Remove: allauth would refuse it.
    assert _confirm_url("alice@example.com") not in page


def test_the_confirmation_names_the_address_and_posts_to_allauths_removal(alice_client, second):
    page = alice_client.get(_confirm_url(second.email)).content.decode()

    assert "Remove alice.private@example.net?" in page
    assert f'action="{reverse("account_email")}"' in page
    assert '<input type="hidden" name="email" value="alice.private@example.net">' in page
    assert '<input type="hidden" name="action_remove" value="">' in page
    assert "data-dialog-content" in page
    assert EmailAddress.objects.filter(pk=second.pk).exists()


def test_confirming_removes_the_address(alice_client, second):
    response = alice_client.post(
        reverse("account_email"), {"email": second.email, "action_remove": ""}
    )

    assert response.status_code == 302
    assert not EmailAddress.objects.filter(pk=second.pk).exists()


def test_another_persons_address_is_not_found_and_nothing_changes(bob_client, second):
    assert bob_client.get(_confirm_url(second.email)).status_code == 404
    assert bob_client.get(_confirm_url("")).status_code == 404
    assert EmailAddress.objects.filter(pk=second.pk).exists()


def test_a_visitor_is_sent_to_sign_in(client, second):
    response = client.get(_confirm_url(second.email))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
