"""Ticket actions in the Audit Log read as sentences (accounts/audit.py)."""

from __future__ import annotations

import pytest

from accounts.audit import audit_rows
from accounts.models import AuditLog
from support import services
from tests.support.conftest import ticket_create

pytestmark = pytest.mark.django_db


def test_ticket_actions_read_as_sentences(company, alice, bob):
    ticket = ticket_create(company, alice, subject="Key taken")
    services.watcher_add(ticket=ticket, user=bob, actor=alice)
    services.ticket_reply(ticket=ticket, author=bob, message="x")
    services.ticket_close(ticket=ticket, actor=alice)
    services.ticket_reopen(ticket=ticket, actor=alice)
    entries = AuditLog.objects.filter(account=company, action__startswith="ticket.").order_by("id")
    sentences = [row.sentence for row in audit_rows(entries, account=company)]
    number = f"#{ticket.pk} Key taken"
    assert sentences == [
        f"Alice Admin opened the support ticket {number}",
        "Alice Admin made Bob Member a watcher of a support ticket",
        f"Bob Member replied to the support ticket {number}",
        f"Alice Admin closed the support ticket {number}",
        f"Alice Admin reopened the support ticket {number}",
    ]
