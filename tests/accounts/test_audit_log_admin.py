"""Staff read the audit log in Django admin and cannot add, change or delete an entry:
the portal alone writes it, and what it wrote stays (issue 21)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog
from accounts.services import audit_log_record
from tests import factories


@pytest.fixture
def staff(db) -> Client:
    user = factories.user_create("root@example.com", "Root", "Admin")
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def entry(alice, company) -> AuditLog:
    return audit_log_record(
        account=company,
        actor=alice,
        channel=AuditLog.Channel.WEB,
        action="membership.blocked",
        target=alice,
        data={},
    )


def test_staff_see_the_entries(staff, entry):
    page = staff.get(reverse("admin:accounts_auditlog_changelist"))

    assert page.status_code == 200
    assert "alice@example.com" in page.content.decode()
    assert staff.get(reverse("admin:accounts_auditlog_change", args=[entry.pk])).status_code == 200


def test_staff_cannot_add_an_entry(staff, entry):
    page = staff.get(reverse("admin:accounts_auditlog_changelist"))
    url = reverse("admin:accounts_auditlog_add")

    assert url not in page.content.decode()
    assert staff.get(url).status_code == 403
    response = staff.post(url, {"action": "license_key.created", "actor_label": "forged"})
    assert response.status_code == 403
    assert list(AuditLog.objects.all()) == [entry]


def test_staff_cannot_change_or_delete_an_entry(staff, entry):
    change = reverse("admin:accounts_auditlog_change", args=[entry.pk])
    delete = reverse("admin:accounts_auditlog_delete", args=[entry.pk])

    staff.post(change, {"action": "license_key.created", "actor_label": "forged"})
    assert staff.post(delete, {"post": "yes"}).status_code == 403

    entry.refresh_from_db()
    assert (entry.action, AuditLog.objects.count()) == ("membership.blocked", 1)
    assert 'name="_save"' not in staff.get(change).content.decode()
