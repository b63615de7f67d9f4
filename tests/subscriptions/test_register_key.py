"""Register Key: business details for a user with no business account, the chosen
business account otherwise; every refusal leaves everything as it was."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import Account, AuditLog, Membership
from subscriptions.models import Subscription
from subscriptions.throttle import REGISTER_ATTEMPTS
from tests import factories

pytestmark = pytest.mark.django_db
URL = reverse("register_key")
DETAILS = {"name": "Acme, Inc.", "country": "DE", "zip_code": "8200", "phone": "+41 52 672 20 30"}


@pytest.fixture
def newcomer(db):
    return factories.user_create("nina@example.com", "Nina", "New")


@pytest.fixture
def newcomer_client(client, newcomer):
    client.force_login(newcomer)
    return client


@pytest.fixture
def unregistered():
    return factories.subscription_create(None, licenses=5)


def _snapshot():
    return (
        Account.objects.count(),
        Membership.objects.count(),
        list(Subscription.objects.order_by("pk").values_list("pk", "account_id")),
        AuditLog.objects.filter(action="subscription.registered").count(),
    )


def test_a_user_with_no_business_account_gives_business_details(
    newcomer_client, newcomer, unregistered
):
    typed = unregistered.primary_key.key.lower().replace("-", " ")
    response = newcomer_client.post(URL, {"key": typed})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Provide your business details" in body
    for label in ("Company Name", "Country", "ZIP / Postal Code", "Phone"):
        assert label in body
    assert Subscription.objects.get().account is None  # nothing yet

    response = newcomer_client.post(URL, {"key": unregistered.primary_key.key, **DETAILS})
    assert response.status_code == 302 and response.url == reverse("dashboard")
    subscription = Subscription.objects.get()
    account = subscription.account
    assert account.name == "Acme, Inc." and account.country.code == "DE"
    assert account.support_code
    membership = account.memberships.get()
    assert membership.user == newcomer and membership.is_admin
    assert newcomer_client.session["current_account_id"] == account.pk
    page = newcomer_client.get(reverse("dashboard")).content.decode()
    assert "Manages 5 computers" in page


def test_business_details_are_all_required(newcomer_client, unregistered):
    before = _snapshot()
    response = newcomer_client.post(
        URL,
        {
            "key": unregistered.primary_key.key,
            "name": " ",
            "country": "",
            "zip_code": "",
            "phone": "",
        },
    )
    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 4
    assert _snapshot() == before


def test_an_administrator_registers_into_the_selected_business_account(
    alice_client, alice, company, unregistered
):
    second = factories.business_account_create("Second Co")
    factories.membership_create(alice, second, role=Membership.Role.ADMIN)
    response = alice_client.get(URL)
    assert "Business Account" in response.content.decode()
    response = alice_client.post(URL, {"key": unregistered.primary_key.key, "account": second.pk})
    assert response.status_code == 302
    unregistered.refresh_from_db()
    assert unregistered.account == second
    assert alice_client.session["current_account_id"] == second.pk
    assert AuditLog.objects.filter(action="subscription.registered", actor=alice).count() == 1


def test_a_regular_member_cannot_register_into_the_business_account(
    bob_client, company, unregistered
):
    # Only accounts the user administers are targets; bob administers none, and the
    # page says so plainly: his key would go to a new business account.
    page = bob_client.get(URL).content.decode()
    assert 'id="id_account"' not in page
    assert f"You are not an Account Administrator of {company.name}" in page
    before = _snapshot()
    response = bob_client.post(URL, {"key": unregistered.primary_key.key, "account": company.pk})
    assert "Provide your business details" in response.content.decode()
    assert _snapshot() == before
    unregistered.refresh_from_db()
    assert unregistered.account is None


def test_only_administered_accounts_are_listed(alice_client, alice, company):
    member_of = factories.business_account_create("Read Only Co")
    factories.membership_create(alice, member_of, role=Membership.Role.MEMBER)
    form = alice_client.get(URL).context["form"]
    assert [label for _, label in form.fields["account"].choices] == [
        company.name,
        "A new business account",
    ]
    assert form.note == ""


def test_the_typed_key_stays_after_an_error(alice_client, newcomer_client, company):
    typed = "abcde fghjk lmnpq rstuv wxyz2"
    for client_ in (alice_client, newcomer_client):
        response = client_.post(URL, {"key": typed, "account": company.pk})
        body = response.content.decode()
        assert "We could not find this license key." in body
        assert f'value="{typed}"' in body


def test_another_users_account_cannot_be_chosen(alice_client, other_company, unregistered):
    before = _snapshot()
    response = alice_client.post(
        URL, {"key": unregistered.primary_key.key, "account": other_company.pk}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("scene", "message"),
    [
        ("malformed", "This is not a valid license key."),
        ("unknown", "We could not find this license key."),
        ("registered_here", "This license key is already registered."),
        ("registered_elsewhere", "This license key is already registered."),
        ("expired", "This license key has expired."),
        ("sublicense", "This is a sublicense key."),
    ],
)
def test_refusals_are_clear_and_change_nothing(
    alice_client, newcomer_client, company, other_company, scene, message
):
    key = {
        "malformed": lambda: "ABCDE-12345",
        "unknown": lambda: "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE",
        "registered_here": lambda: factories.subscription_create(company).primary_key.key,
        "registered_elsewhere": lambda: (
            factories.subscription_create(other_company).primary_key.key
        ),
        "expired": lambda: (
            factories.subscription_create(
                None, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31)
            ).primary_key.key
        ),
        "sublicense": lambda: (
            factories.license_key_create(factories.subscription_create(None), quota=1).key
        ),
    }[scene]()
    before = _snapshot()
    for client, extra in ((alice_client, {"account": company.pk}), (newcomer_client, {})):
        response = client.post(URL, {"key": key, **extra})
        assert response.status_code == 200
        assert message in response.content.decode()
        # The business details step never comes for a key that cannot be registered.
        assert "Provide your business details" not in response.content.decode()
        response = client.post(URL, {"key": key, **DETAILS})
        assert message in response.content.decode()
    assert _snapshot() == before


def test_registration_is_rate_limited_per_user(
    newcomer_client, alice_client, company, unregistered
):
    for _ in range(REGISTER_ATTEMPTS):
        newcomer_client.post(URL, {"key": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"})
    before = _snapshot()
    response = newcomer_client.post(URL, {"key": unregistered.primary_key.key})
    assert response.status_code == 429
    assert "Too many attempts to register a key" in response.content.decode()
    response = newcomer_client.post(URL, {"key": unregistered.primary_key.key, **DETAILS})
    assert response.status_code == 429
    assert _snapshot() == before
    # Another user is not affected.
    response = alice_client.post(URL, {"key": unregistered.primary_key.key, "account": company.pk})
    assert response.status_code == 302


def test_the_dashboard_empty_state_registers_a_key(newcomer_client, unregistered):
    page = newcomer_client.get(reverse("dashboard")).content.decode()
    assert "Start with registering your product" in page
    assert f'action="{URL}"' in page


def test_register_key_needs_sign_in(client):
    response = client.post(URL, {"key": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
