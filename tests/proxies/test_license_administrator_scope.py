"""What a License Administrator sees and manages on the pages: lena administers the key
"Branch" (of the "Branch Office" subscription) and nothing else of My Company. She sees
and deactivates Branch's proxy servers and their usage, renames Branch, and finds
nothing else: other keys, their servers, subscriptions' other data, the company's users
and reports are hidden or 404. alice (Account Administrator) still sees everything."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog, Membership
from proxies.models import ProxyServer
from subscriptions.models import LicenseKey
from subscriptions.services import license_key_administrator_remove
from tests import factories
from tests.proxies import factories as f

pytestmark = pytest.mark.django_db

# The request: session, user, the SSO domain of the user's address, usersessions (5
# queries), memberships (middleware).
REQUEST = 9


@pytest.fixture
def branch_server(company, lena_key):
    return f.proxy_create(company, key=lena_key, server_name="Branch site", notes="branch")


@pytest.fixture
def hq_server(company):
    return f.proxy_create(company, server_name="Headquarters site", notes="hq")


def test_the_proxy_servers_list_shows_her_keys_servers_only(
    lena_client, alice_client, branch_server, hq_server
):
    page = lena_client.get(reverse("proxy_list"))
    assert "Branch site" in page.text and "Headquarters site" not in page.text
    assert "data-deactivate-open" in page.text  # she manages these
    assert "Proxy Servers (1)" in page.text
    everything = alice_client.get(reverse("proxy_list")).text
    assert "Branch site" in everything and "Headquarters site" in everything


def test_another_keys_server_is_not_found(lena_client, branch_server, hq_server):
    assert lena_client.get(reverse("proxy_detail", args=[hq_server.pk])).status_code == 404
    page = lena_client.get(reverse("proxy_detail", args=[branch_server.pk]) + "?tab=usage")
    assert page.status_code == 200 and ">Deactivate<" in page.text


def test_the_export_has_her_servers_only(lena_client, branch_server, hq_server):
    response = lena_client.get(reverse("proxy_export"), {"id": [hq_server.pk, branch_server.pk]})
    csv = b"".join(response.streaming_content).decode()
    assert "Branch site" in csv and "Headquarters site" not in csv


def test_she_deactivates_her_keys_server(lena, lena_client, branch_server):
    response = lena_client.post(reverse("proxy_deactivate"), {"id": [branch_server.pk]})
    assert response.status_code == 302
    branch_server.refresh_from_db()
    assert branch_server.status == ProxyServer.Status.DEACTIVATED
    entry = AuditLog.objects.get(action="proxy_server.deactivated")
    assert entry.actor == lena


def test_she_cannot_deactivate_another_keys_server(lena_client, branch_server, hq_server):
    response = lena_client.post(reverse("proxy_deactivate"), {"id": [hq_server.pk]})
    assert response.status_code == 404
    hq_server.refresh_from_db()
    assert hq_server.status == ProxyServer.Status.ACTIVE
    assert not AuditLog.objects.filter(action="proxy_server.deactivated").exists()


def test_notes_stay_with_account_administrators(lena_client, branch_server):
    response = lena_client.post(reverse("proxy_notes", args=[branch_server.pk]), {"notes": "x"})
    assert response.status_code == 403
    branch_server.refresh_from_db()
    assert branch_server.notes == "branch"


def test_the_subscriptions_list_shows_hers_only(lena_client, company, lena_key):
    factories.subscription_create(company, licenses=10, name="Headquarters")
    page = lena_client.get(reverse("subscription_list"), {"display": "all"})
    assert "Branch Office" in page.text and "Headquarters" not in page.text


def test_subscription_details_show_her_key_and_nothing_of_the_whole(lena_client, company, lena_key):
    subscription = lena_key.subscription
    factories.license_key_create(subscription, quota=1, name="Sibling")
    page = lena_client.get(reverse("subscription_detail", args=[subscription.pk]))
    assert page.status_code == 200
    assert "Branch" in page.text and "Sibling" not in page.text
    assert lena_key.key in page.text  # whole: she activates her servers with it
    assert "Orders History" not in page.text and "Contract Details" not in page.text
    assert "pool-line" not in page.text
    other = factories.subscription_create(company, licenses=10, name="Headquarters")
    assert lena_client.get(reverse("subscription_detail", args=[other.pk])).status_code == 404


def test_she_renames_her_sublicense_only(lena, lena_client, lena_key):
    subscription = lena_key.subscription
    url = reverse("license_key_rename", args=[subscription.pk, lena_key.pk])
    assert lena_client.post(url, {"name": "Branch East"}).status_code == 302
    lena_key.refresh_from_db()
    assert lena_key.name == "Branch East"
    sibling = factories.license_key_create(subscription, quota=1, name="Sibling")
    url = reverse("license_key_rename", args=[subscription.pk, sibling.pk])
    assert lena_client.post(url, {"name": "Mine"}).status_code == 404
    assert LicenseKey.objects.get(pk=sibling.pk).name == "Sibling"
    # Everything else of a key stays with the Account Administrators.
    update = reverse("license_key_update", args=[subscription.pk, lena_key.pk])
    assert lena_client.post(update, {"name": "x", "quota": 1, "type": "dynamic"}).status_code == 403


def test_the_dashboard_lists_her_keys(lena_client, company, lena_key):
    factories.subscription_create(company, licenses=10, name="Headquarters")
    page = lena_client.get(reverse("dashboard"))
    assert "Your License Keys" in page.text and "Branch Office" in page.text
    assert "Headquarters" not in page.text


@pytest.mark.parametrize(
    "name", ["business_profile", "business_users", "usage_reports", "audit_log", "invite_users"]
)
def test_the_rest_of_the_account_is_hidden(lena_client, name):
    assert lena_client.get(reverse(name)).status_code in (403, 404)


def test_a_role_change_takes_effect_at_the_next_request(
    alice, lena, lena_client, company, lena_key, branch_server
):
    assert lena_client.get(reverse("business_users")).status_code == 404
    license_key_administrator_remove(
        license_key=lena_key,
        membership=Membership.objects.get(user=lena, account=company),
        actor=alice,
    )
    # A Regular Member again: reads the account, manages nothing.
    assert lena_client.get(reverse("business_users")).status_code == 200
    assert (
        lena_client.post(reverse("proxy_deactivate"), {"id": [branch_server.pk]}).status_code == 403
    )


@pytest.mark.parametrize("servers", [1, 30])
def test_her_list_runs_the_same_queries_with_one_or_many(
    lena_client, company, lena_key, servers, django_assert_num_queries
):
    for i in range(servers):
        # One installation holds a key at a time; the earlier ones were deactivated.
        status = ProxyServer.Status.ACTIVE if i == 0 else ProxyServer.Status.DEACTIVATED
        f.proxy_create(company, key=lena_key, server_name=f"Branch {i:02}", status=status)
        f.proxy_create(company, server_name=f"Elsewhere {i:02}")
    lena_client.get(reverse("personal_profile"))
    # The request; the user's columns; the Display counts; one page of rows; the live
    # keys of the page's subscriptions with their usage; the product navigation.
    with django_assert_num_queries(REQUEST + 5):
        page = lena_client.get(reverse("proxy_list"))
    assert page.text.count("Branch ") >= servers and "Elsewhere" not in page.text


@pytest.mark.parametrize("name", ["ticket_list", "ticket_create", "offline_operations"])
def test_support_tickets_and_offline_operations_are_not_hers(lena_client, name):
    assert lena_client.get(reverse(name)).status_code == 404
