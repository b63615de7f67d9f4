"""License Administrators per key (Parallels: a key's gear → License Administrators):
alice (Account Administrator) makes bob, a Regular Member, License Administrator of a
key; lena already administers "Branch". The one rule, `license_key_manageable`, and
the services that grant and take the role."""

from __future__ import annotations

import pytest

from accounts.models import AuditLog, Membership
from accounts.services import AccountAdminRequired
from subscriptions.errors import SubscriptionError
from subscriptions.models import (
    LicenseKey,
    LicenseKeyAdministrator,
    license_key_manageable,
    license_key_manageable_q,
    license_key_visible_q,
    membership_is_license_admin,
)
from subscriptions.services import (
    license_key_administrator_remove,
    license_key_administrators_add,
    license_key_manage_check,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _membership(user, account) -> Membership:
    return Membership.objects.get(user=user, account=account)


@pytest.fixture
def design(subscription):
    return factories.license_key_create(subscription, quota=2, name="Design")


def test_an_account_administrator_makes_a_member_license_administrator(alice, bob, company, design):
    added = license_key_administrators_add(
        license_key=design, memberships=[_membership(bob, company)], actor=alice
    )
    assert [a.license_key for a in added] == [design]
    bob_m = _membership(bob, company)
    assert membership_is_license_admin(bob_m)
    assert license_key_manageable(bob_m, design)
    entry = AuditLog.objects.get(action="license_key.administrator_added")
    assert (entry.actor, entry.target_id, entry.data["user"]) == (alice, str(design.pk), bob.email)


def test_adding_twice_changes_nothing(alice, bob, company, design):
    license_key_administrators_add(
        license_key=design, memberships=[_membership(bob, company)], actor=alice
    )
    again = license_key_administrators_add(
        license_key=design, memberships=[_membership(bob, company)], actor=alice
    )
    assert again == []
    assert LicenseKeyAdministrator.objects.count() == 1
    assert AuditLog.objects.filter(action="license_key.administrator_added").count() == 1


@pytest.mark.parametrize(
    ("who", "code"),
    [("alice", "license_admin_is_account_admin"), ("dave", "license_admin_blocked")],
)
def test_an_account_administrator_or_a_blocked_member_is_refused(
    request, alice, company, design, who, code
):
    member = _membership(request.getfixturevalue(who), company)
    with pytest.raises(SubscriptionError) as refused:
        license_key_administrators_add(license_key=design, memberships=[member], actor=alice)
    assert refused.value.code == code
    assert not LicenseKeyAdministrator.objects.exists()


def test_a_member_of_another_company_is_refused(alice, charlie, other_company, design):
    with pytest.raises(SubscriptionError) as refused:
        license_key_administrators_add(
            license_key=design, memberships=[_membership(charlie, other_company)], actor=alice
        )
    assert refused.value.code == "license_admin_not_member"
    assert not LicenseKeyAdministrator.objects.exists()


@pytest.mark.parametrize("actor", ["bob", "lena", "charlie"])
def test_only_an_account_administrator_grants_or_takes_the_role(
    request, bob, lena, company, design, lena_key, actor
):
    actor = request.getfixturevalue(actor)
    with pytest.raises(AccountAdminRequired):
        license_key_administrators_add(
            license_key=design, memberships=[_membership(bob, company)], actor=actor
        )
    with pytest.raises(AccountAdminRequired):
        license_key_administrator_remove(
            license_key=lena_key, membership=_membership(lena, company), actor=actor
        )
    assert list(LicenseKeyAdministrator.objects.values_list("license_key", flat=True)) == [
        lena_key.pk
    ]


def test_removing_the_role_takes_effect_at_once(alice, lena, company, lena_key):
    lena_m = _membership(lena, company)
    assert license_key_manageable(lena_m, lena_key)
    assert license_key_administrator_remove(license_key=lena_key, membership=lena_m, actor=alice)
    assert not license_key_administrator_remove(
        license_key=lena_key, membership=lena_m, actor=alice
    )
    fresh = _membership(lena, company)
    assert not license_key_manageable(fresh, lena_key)
    assert not membership_is_license_admin(fresh)
    assert AuditLog.objects.filter(action="license_key.administrator_removed").count() == 1


def test_the_rule_in_sql_and_in_python_agree(
    alice, bob, lena, dave, charlie, company, other_company, design
):
    keys = LicenseKey.objects.filter(subscription__account=company)
    for user in (alice, bob, lena, dave):
        membership = _membership(user, company)
        in_sql = set(keys.filter(license_key_manageable_q(membership)))
        in_python = {k for k in keys if license_key_manageable(membership, k)}
        assert in_sql == in_python, user
    assert {k.name for k in keys.filter(license_key_manageable_q(_membership(lena, company)))} == {
        "Branch"
    }
    # A Regular Member reads every key; a License Administrator sees only theirs.
    assert keys.filter(license_key_visible_q(_membership(bob, company))).count() == keys.count()
    assert [k.name for k in keys.filter(license_key_visible_q(_membership(lena, company)))] == [
        "Branch"
    ]
    # Another company's administrator manages none of these keys.
    assert not license_key_manageable(_membership(charlie, other_company), design)


def test_the_service_check_other_apps_call(alice, bob, lena, design, lena_key):
    license_key_manage_check(actor=alice, license_key=design)
    license_key_manage_check(actor=lena, license_key=lena_key)
    for actor, key in ((lena, design), (bob, lena_key)):
        with pytest.raises(AccountAdminRequired):
            license_key_manage_check(actor=actor, license_key=key)
