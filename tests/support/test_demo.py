"""The demo company shows tickets with watchers (support/demo.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from support.models import Ticket

pytestmark = pytest.mark.django_db


def test_demo_data_has_tickets_with_watchers_and_runs_twice(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")
    call_command("demo_data", "--password", "demo-pass-123")
    tickets = Ticket.objects.filter(account__name__isnull=False).order_by("id")
    assert tickets.count() == 2
    technical = tickets[0]
    assert technical.uses_incident
    assert technical.status == Ticket.Status.WAITING
    assert technical.watchers.count() >= 2
    assert technical.messages.filter(internal=True).count() == 1
    assert tickets[1].status == Ticket.Status.RESOLVED
