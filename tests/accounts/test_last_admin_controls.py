"""The last active administrator sees what they cannot do, and why.

alice is the only Account Administrator of My Company; bob is a Regular Member. The
services refuse the last admin's leave, demotion, block and delete (test_memberships,
test_business_profile): here the pages show those controls disabled with the reason.
"""

from __future__ import annotations

import re

from django.urls import reverse

from accounts.models import Membership
from tests import factories

LAST_ADMIN = "You are the only Account Administrator of this business account"
LEAVE_REFUSAL = (
    "You are the only Account Administrator of this business account. Make another "
    "member an Account Administrator before you leave."
)


def _m(user, company) -> Membership:
    return Membership.objects.get(user=user, account=company)


def _button(html: str, label: str) -> str:
    """The opening tag of the button (or the link to its confirmation) with this label."""
    return re.search(rf"<(?:button|a)\b[^>]*>{label}</(?:button|a)>", html).group(0)


def _dialog(html: str, membership: Membership) -> str:
    start = html.index(f'<dialog id="membership-{membership.pk}"')
    return html[start : html.index("</dialog>", start)]


def _role_select(html: str, membership: Membership) -> str:
    return re.search(rf'<select name="m{membership.pk}-role"[^>]*>', html).group(0)


def test_the_last_admin_sees_leave_disabled_with_the_reason(alice_client, alice, bob, company):
    html = alice_client.get(reverse("business_profile")).content.decode()

    leave = _button(html, "Leave This Business Account")
    assert "disabled" in leave and 'aria-describedby="leave-refusal"' in leave
    assert f'<p class="field__help refusal" id="leave-refusal">{LEAVE_REFUSAL}</p>' in html


def test_with_a_second_admin_leave_is_enabled(alice_client, alice, bob, company):
    Membership.objects.filter(pk=_m(bob, company).pk).update(role=Membership.Role.ADMIN)

    html = alice_client.get(reverse("business_profile")).content.decode()

    assert "disabled" not in _button(html, "Leave This Business Account")
    assert "leave-refusal" not in html


def test_a_blocked_admin_is_not_the_other_admin(alice_client, alice, company):
    ex = factories.user_create("ex@example.com", "Ex", "Admin")
    factories.membership_create(ex, company, role="admin", status="blocked")

    html = alice_client.get(reverse("business_profile")).content.decode()

    assert "disabled" in _button(html, "Leave This Business Account")


def test_a_regular_member_may_leave(bob_client, alice, bob):
    html = bob_client.get(reverse("business_profile")).content.decode()

    assert "disabled" not in _button(html, "Leave This Business Account")


def test_the_last_admins_own_membership_page_disables_role_block_and_delete(
    alice_client, alice, bob, company
):
    mine = _m(alice, company)

    html = alice_client.get(reverse("membership_detail", args=[mine.pk])).content.decode()

    assert LAST_ADMIN in html
    for label in ("Block", "Delete"):
        button = _button(html, label)
        assert "disabled" in button and f'aria-describedby="m{mine.pk}-refusal"' in button
    select = _role_select(html, mine)
    assert "disabled" in select and f'aria-describedby="m{mine.pk}-refusal"' in select
    # Notes can still be saved.
    assert "disabled" not in _button(html, "Save")


def test_the_last_admins_own_dialog_on_the_users_list_is_the_same(
    alice_client, alice, bob, company
):
    mine, bobs = _m(alice, company), _m(bob, company)

    html = alice_client.get(reverse("business_users")).content.decode()

    own = _dialog(html, mine)
    assert LAST_ADMIN in own
    assert "disabled" in _button(own, "Block") and "disabled" in _button(own, "Delete")
    assert "disabled" in _role_select(own, mine)
    other = _dialog(html, bobs)
    assert "refusal" not in other
    assert "disabled" not in _button(other, "Block") + _button(other, "Delete")
    assert "disabled" not in _role_select(other, bobs)


def test_the_users_list_counts_active_admins_across_the_search(alice_client, alice, bob, company):
    # A search that leaves alice out of the facet counts still knows she is the last admin.
    html = alice_client.get(reverse("business_users"), {"q": "alice"}).content.decode()
    assert LAST_ADMIN in _dialog(html, _m(alice, company))
    html = alice_client.get(reverse("business_users"), {"q": "bob"}).content.decode()
    assert "Regular Member (1)" in html and "Account Administrator (0)" in html


def test_with_a_second_admin_ones_own_role_can_change_but_block_and_delete_cannot(
    alice_client, alice, bob, company
):
    Membership.objects.filter(pk=_m(bob, company).pk).update(role=Membership.Role.ADMIN)
    mine = _m(alice, company)

    html = alice_client.get(reverse("membership_detail", args=[mine.pk])).content.decode()

    assert LAST_ADMIN not in html
    assert "You cannot block or delete yourself" in html
    assert "disabled" in _button(html, "Block") and "disabled" in _button(html, "Delete")
    assert "disabled" not in _role_select(html, mine)


def test_the_dialog_says_when_a_change_takes_effect(alice_client, alice, bob, company):
    bobs = _m(bob, company)
    note = "A new role or a block takes effect at once — on the member's next page."

    page = alice_client.get(reverse("membership_detail", args=[bobs.pk])).content.decode()
    users = alice_client.get(reverse("business_users")).content.decode()

    assert note in page
    assert note in _dialog(users, bobs)
