"""Continue with SSO, against a real OpenID provider (allauth's own IdP, a second
process): the work e-mail finds the business account that verified its domain, the
person signs in at the IdP and lands in that account, created just in time, with the
role the IdP's group gives.

My Company verified mycompany.example and connected the IdP; its administrators' group
is "Parallels Business Account Admins". At the IdP: erin (no group), frank (in the
group), gina (who already has a portal user), mallory@other.example."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Membership, User
from sso.models import SsoDomain
from tests import factories
from tests.sso.conftest import continue_with_sso as _continue_with_sso

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_offers_continue_with_sso(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'href="/accounts/sso/"' in page and "Continue with SSO" in page


def test_a_first_sign_in_creates_the_person_in_the_business_account(client, sso_company):
    response = _continue_with_sso(client, "Erin@MyCompany.example")
    assert response.status_code == 302, response.content.decode()[:2000]
    erin = User.objects.get(email="erin@mycompany.example")
    assert (erin.first_name, erin.last_name) == ("Erin", "Engineer")
    membership = Membership.objects.get(user=erin, account=sso_company)
    assert (membership.role, membership.status) == ("member", "active")
    assert erin.emailaddress_set.get().verified
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert dashboard.wsgi_request.account == sso_company
    entry = AuditLog.objects.get(action="membership.created", target_label=erin.email)
    assert entry.data == {"role": "member", "via": "sso"}


def test_a_member_of_the_admins_group_becomes_an_account_administrator(client, sso_company):
    _continue_with_sso(client, "frank@mycompany.example")
    frank = User.objects.get(email="frank@mycompany.example")
    assert Membership.objects.get(user=frank, account=sso_company).role == "admin"


def test_the_role_follows_the_idp_group_at_every_sign_in(client, sso_company, oidc_provider):
    _continue_with_sso(client, "frank@mycompany.example")
    membership = Membership.objects.get(user__email="frank@mycompany.example", account=sso_company)
    assert membership.role == "admin"
    with oidc_provider.without_groups("frank@mycompany.example"):
        _continue_with_sso(Client(), "frank@mycompany.example")
    membership.refresh_from_db()
    assert membership.role == "member"
    entry = AuditLog.objects.get(
        action="membership.role_changed", target_label=membership.user.email
    )
    # The same entry as a role changed on the Users page, by the API or by SCIM.
    assert entry.data == {"role": ["admin", "member"], "notes_changed": False, "via": "sso"}


def test_the_last_active_administrator_is_not_demoted_by_a_missing_group(
    client, sso_company, oidc_provider
):
    _continue_with_sso(client, "frank@mycompany.example")
    frank = Membership.objects.get(user__email="frank@mycompany.example", account=sso_company)
    # The company's other administrators step down: frank is the last active one.
    Membership.objects.filter(account=sso_company, role="admin").exclude(pk=frank.pk).update(
        role="member"
    )
    with oidc_provider.without_groups("frank@mycompany.example"):
        response = _continue_with_sso(Client(), "frank@mycompany.example")
    assert response.status_code == 302
    frank.refresh_from_db()
    assert (frank.role, frank.status) == ("admin", "active")
    assert not AuditLog.objects.filter(action="membership.role_changed").exists()


def test_an_existing_user_is_linked_once_the_idp_asserts_the_address(client, sso_company):
    gina = factories.user_create("gina@mycompany.example", "Gina", "Existing")
    _continue_with_sso(client, "gina@mycompany.example")
    assert User.objects.filter(email="gina@mycompany.example").count() == 1
    assert SocialAccount.objects.get(user=gina).provider == f"sso-{sso_company.pk}"
    assert Membership.objects.get(user=gina, account=sso_company).role == "member"
    assert client.get(reverse("dashboard")).wsgi_request.user == gina


@pytest.mark.parametrize("verified_elsewhere", [False, True])
def test_an_address_outside_the_verified_domains_is_refused_and_changes_nothing(
    client, sso_company, other_company, verified_elsewhere
):
    # The person types a company address, but the IdP signs in someone of another domain
    # (verified by nobody, or by Other Corp, whose own IdP alone speaks for it).
    if verified_elsewhere:
        SsoDomain.objects.create(
            account=other_company, domain="other.example", verified_at=timezone.now()
        )
    users, memberships = User.objects.count(), Membership.objects.count()
    response = _continue_with_sso(
        client, "erin@mycompany.example", as_email="mallory@other.example"
    )
    assert response.status_code == 403
    assert "has not verified" in response.content.decode()
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    assert not SocialAccount.objects.exists()
    assert not client.get(reverse("dashboard")).wsgi_request.user.is_authenticated


def test_a_domain_no_longer_verified_routes_no_sign_in(client, sso_company):
    SsoDomain.objects.update(verified_at=None)
    response = client.post(reverse("sso_start"), {"email": "erin@mycompany.example"})
    assert response.status_code == 200
    assert "No business account signs in with single sign-on" in response.content.decode()


@pytest.mark.parametrize("email", ["", "not-an-email", "someone@unknown.example"])
def test_an_unknown_or_bad_address_stays_on_the_page(client, sso_company, email):
    response = client.post(reverse("sso_start"), {"email": email})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_a_blocked_member_is_refused(client, sso_company):
    _continue_with_sso(client, "erin@mycompany.example")
    Membership.objects.filter(user__email="erin@mycompany.example").update(status="blocked")
    other = Client()
    response = _continue_with_sso(other, "erin@mycompany.example")
    assert response.status_code == 403
    assert not other.get(reverse("dashboard")).wsgi_request.user.is_authenticated
