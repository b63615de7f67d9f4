"""The account selector names each account with its kind and its members, as the
guide's "My Company, Inc. (Business Account) (2)".

alice administers My Company with bob (a Regular Member) and dave (blocked).
"""

from __future__ import annotations

from django.urls import reverse


def test_each_account_shows_how_many_members_it_has(alice_client, bob, dave):
    html = alice_client.get(reverse("dashboard")).content.decode()

    assert "My Company, Inc. (Business Account) (3)</option>" in html
    assert "Alice Admin (Personal Account) (1)</option>" in html
