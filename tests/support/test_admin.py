"""Staff work tickets in Django admin through the same services: a reply reaches the
watchers, an internal note reaches nobody, a status change is told once."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from support.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(erin) -> Client:
    erin.is_superuser = True
    erin.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(erin)
    return client


def _change(staff, ticket, **data):
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    form = {
        "status": ticket.status,
        "assignee": "",
        "reply": "",
        # The inlines' management forms (read-only, no rows to add).
        "messages-TOTAL_FORMS": "0",
        "messages-INITIAL_FORMS": "0",
        "watchers-TOTAL_FORMS": "0",
        "watchers-INITIAL_FORMS": "0",
        **data,
    }
    return staff.post(url, form)


def test_the_changelist_filters_by_account_product_and_category(staff, ticket, company):
    url = reverse("admin:support_ticket_changelist")
    response = staff.get(url, {"account__id__exact": company.pk, "category": "technical"})
    assert response.status_code == 200
    assert "Proxy will not activate" in response.content.decode()
    assert staff.get(url, {"category": "purchase"}).context["cl"].result_count == 0


def test_a_reply_from_admin_reaches_the_watchers(
    staff, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    page = staff.get(reverse("admin:support_ticket_change", args=[ticket.pk]))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = _change(staff, ticket, reply="Please send the log.")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "bob@example.com"]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert TicketMessage.objects.filter(from_staff=True, internal=False).count() == 1


def test_an_internal_note_from_admin_reaches_nobody(
    staff, ticket, erin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _change(staff, ticket, reply="VIP customer", internal="on", assignee=erin.pk)
    assert mailoutbox == []
    ticket.refresh_from_db()
    assert ticket.assignee == erin
    assert ticket.status == Ticket.Status.OPEN


def test_a_status_change_is_told_once_per_watcher(
    staff, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _change(staff, ticket, status="resolved")
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "bob@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse("admin:support_ticket_changelist"),
            {"action": "mark_resolved", ACTION_CHECKBOX_NAME: [ticket.pk]},
        )
    assert len(mailoutbox) == 2  # already resolved: nothing more


def test_staff_download_attachments_through_the_checked_view(staff, company, alice):
    from support import services
    from support.models import TicketAttachment
    from tests.support.conftest import PNG, ticket_create

    ticket = ticket_create(company, alice, uploads=[services.Upload(name="shot.png", content=PNG)])
    attachment = TicketAttachment.objects.get()
    page = staff.get(reverse("admin:support_ticket_change", args=[ticket.pk])).content.decode()
    url = reverse("ticket_attachment", args=[ticket.pk, attachment.pk])
    assert url in page
    assert staff.get(url).status_code == 200
