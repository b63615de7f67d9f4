"""Deleting a sublicense from the Django admin goes through the one service the pages
and the API call: the key is deleted and its installation deactivated together."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog
from proxies.models import ProxyServer
from tests import factories
from tests.subscriptions.conftest import proxy_server_create

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:subscriptions_licensekey_changelist")


def _staff_client(*, superuser: bool) -> Client:
    user = factories.user_create(
        "root@example.com" if superuser else "sam@example.com", "Staff", "Member"
    )
    user.is_staff = True
    user.is_superuser = superuser
    user.save()
    if not superuser:
        user.groups.add(Group.objects.get_or_create(name="Sales")[0])
    client = Client()
    client.force_login(user)
    return client


def test_staff_who_may_change_keys_delete_a_sublicense_with_its_installation(company):
    subscription = factories.subscription_create(company, licenses=10)
    key = factories.license_key_create(subscription, quota=3, name="Lab")
    server = proxy_server_create(key, computers=2)
    client = _staff_client(superuser=True)
    response = client.post(
        CHANGELIST, {"action": "delete_sublicenses", ACTION_CHECKBOX_NAME: [key.pk]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    server.refresh_from_db()
    assert key.deleted_at is not None
    assert server.status == ProxyServer.Status.DEACTIVATED
    assert AuditLog.objects.filter(action="license_key.deleted", channel="admin").exists()


def test_sales_who_only_view_keys_delete_nothing(company):
    subscription = factories.subscription_create(company, licenses=10)
    key = factories.license_key_create(subscription, quota=3, name="Lab")
    server = proxy_server_create(key, computers=2)
    client = _staff_client(superuser=False)
    page = client.get(CHANGELIST).content.decode()
    assert "delete_sublicenses" not in page
    client.post(CHANGELIST, {"action": "delete_sublicenses", ACTION_CHECKBOX_NAME: [key.pk]})
    key.refresh_from_db()
    server.refresh_from_db()
    assert key.deleted_at is None and server.status == ProxyServer.Status.ACTIVE
