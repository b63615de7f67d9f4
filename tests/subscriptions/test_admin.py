"""Django admin for sales staff: the Sales group issues, upgrades, renews and toggles
offline activation, all through the services (each leaves an Order)."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog
from subscriptions.models import Order, Subscription
from subscriptions.services import months_add
from tests import factories

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:subscriptions_subscription_changelist")
ADD = reverse("admin:subscriptions_subscription_add")


@pytest.fixture
def sam(db):
    """Sam works in Sales: staff, in the Sales group, no superuser."""
    user = factories.user_create("sam@example.com", "Sam", "Sales")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get_or_create(name="Sales")[0])
    return user


@pytest.fixture
def sales(sam) -> Client:
    client = Client()
    client.force_login(sam)
    return client


@pytest.fixture
def sales_group_permissions(db):
    # Transactional tests flush the data migration's rows; these tests are not.
    return set(Group.objects.get(name="Sales").permissions.values_list("codename", flat=True))


def test_the_sales_group_has_what_sales_needs(sales_group_permissions):
    assert {
        "add_subscription",
        "change_subscription",
        "view_subscription",
        "view_licensekey",
        "view_order",
        "view_account",
    } <= sales_group_permissions
    assert "delete_subscription" not in sales_group_permissions


def test_sales_issue_a_subscription(sales, sam):
    page = sales.get(ADD)
    assert page.status_code == 200 and "Issue a subscription" in page.content.decode()
    product = Subscription._meta.get_field("product").related_model.objects.get()
    response = sales.post(
        ADD, {"product": product.pk, "licenses": 50, "months": 12, "offline_allowed": "on"}
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 302
    assert subscription.licenses == 50 and subscription.offline_allowed
    assert subscription.license_keys.get().is_primary
    order = subscription.orders.get()
    assert order.kind == "purchase" and order.created_by == sam
    assert AuditLog.objects.get(action="subscription.issued").channel == "admin"


def test_sales_issue_a_trial(sales):
    assert "Issue a trial license" in sales.get(ADD + "?trial=1").content.decode()
    product = Subscription._meta.get_field("product").related_model.objects.get()
    sales.post(ADD, {"product": product.pk, "licenses": 5, "months": 1, "trial": "on"})
    subscription = Subscription.objects.get()
    assert subscription.is_trial and subscription.orders.get().kind == "trial"


def test_issue_needs_months_or_an_end_date(sales):
    product = Subscription._meta.get_field("product").related_model.objects.get()
    response = sales.post(ADD, {"product": product.pk, "licenses": 5})
    assert "Give either a number of months or an end date." in response.content.decode()
    assert not Subscription.objects.exists()


def _action(client, action, subscriptions, **data):
    ids = [s.pk for s in subscriptions]
    first = client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: ids, "index": 0})
    return first, client.post(
        CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: ids, "apply": "1", **data}
    )


def test_upgrade_action_adds_licenses_with_an_order(sales, subscription):
    form, done = _action(sales, "upgrade", [subscription], licenses_added=5)
    assert "Licenses to add" in form.content.decode()
    assert done.status_code == 302
    subscription.refresh_from_db()
    assert subscription.licenses == 15
    assert subscription.orders.filter(kind=Order.Kind.UPGRADE, quantity=5).exists()


def test_renew_action_extends_the_end_date_with_an_order(sales, subscription):
    old_end = subscription.ends_on
    _, done = _action(sales, "renew", [subscription], months=12)
    assert done.status_code == 302
    subscription.refresh_from_db()
    assert subscription.ends_on == months_add(old_end, 12)
    assert subscription.orders.filter(kind=Order.Kind.RENEWAL).exists()


def test_offline_activation_actions(sales, subscription):
    sales.post(CHANGELIST, {"action": "offline_enable", ACTION_CHECKBOX_NAME: [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.offline_allowed
    sales.post(CHANGELIST, {"action": "offline_disable", ACTION_CHECKBOX_NAME: [subscription.pk]})
    subscription.refresh_from_db()
    assert not subscription.offline_allowed
    assert AuditLog.objects.filter(action__startswith="subscription.offline_").count() == 2


@pytest.mark.parametrize("how", ["key", "key_sloppy", "company", "support_code"])
def test_search_by_key_company_and_support_code(sales, subscription, other_subscription, how):
    term = {
        "key": subscription.primary_key.key,
        "key_sloppy": subscription.primary_key.key.lower().replace("-", " "),
        "company": "My Company",
        "support_code": subscription.account.support_code,
    }[how]
    response = sales.get(CHANGELIST, {"q": term})
    assert list(response.context["cl"].result_list) == [subscription]


def test_licenses_and_dates_are_read_only_on_the_change_form(sales, subscription):
    url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
    form = sales.get(url).context["adminform"].form
    # Changes of licenses, dates and offline use go through the actions (and leave Orders);
    # the support incidents a contract includes are sales' to set here (support/).
    assert set(form.fields) == {"name", "renewal", "contract_details", "support_incidents"}


def test_a_customer_cannot_use_the_admin(alice_client):
    response = alice_client.get(CHANGELIST)
    assert response.status_code == 302


def test_the_issue_form_is_one_form_in_three_parts_with_help_on_each_field(sales):
    html = sales.get(ADD).content.decode()

    for part in ("<h2>What</h2>", "<h2>How long</h2>", "<h2>Options</h2>"):
        assert part in html
    assert html.count('<div class="help" id="id_') == 9
    assert "the pool of its primary license key" in html


def test_sales_find_a_subscription_by_customer_key_or_e_mail(sales, alice, company):
    subscription = factories.subscription_create(company, licenses=4)
    factories.subscription_create(factories.business_account_create("Other Corp"), licenses=9)
    key = subscription.primary_key.key

    for term in ("My Company", key.lower().replace("-", ""), "alice@example.com"):
        found = sales.get(CHANGELIST, {"q": term}).context["cl"].result_list
        assert [s.pk for s in found] == [subscription.pk], term
