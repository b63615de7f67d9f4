"""Small words the guide shows: "Role:" and "Status:" filters on the Users list, and
breadcrumbs separated by "›" on every Business Profile page, as on the other pages.

alice administers My Company; bob is a Regular Member.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Membership


def test_the_users_filters_are_labelled_as_in_the_guide(alice_client, alice):
    html = alice_client.get(reverse("business_users")).content.decode()

    assert '<label for="id_role">Role:</label>' in html
    assert '<label for="id_status">Status:</label>' in html


@pytest.mark.parametrize(
    ("name", "trail"),
    [
        ("business_profile", ["Dashboard", "Business Profile"]),
        ("business_users", ["Dashboard", "Business Profile"]),
        ("audit_log", ["Dashboard", "Business Profile"]),
        ("business_profile_edit", ["Dashboard", "Business Profile"]),
        ("invite_users", ["Dashboard", "Business Profile", "Users"]),
        ("membership_detail", ["Dashboard", "Business Profile", "Users"]),
    ],
)
def test_breadcrumbs_are_separated_by_a_single_angle(
    name, trail, alice_client, alice, bob, company
):
    args = (
        [Membership.objects.get(user=bob, account=company).pk]
        if name == "membership_detail"
        else []
    )

    html = alice_client.get(reverse(name, args=args)).content.decode()

    breadcrumb = re.search(r'<nav class="breadcrumb"[^>]*>(.*?)</nav>', html).group(1)
    assert re.sub(r"<[^>]+>", "", breadcrumb) == " › ".join(trail)
