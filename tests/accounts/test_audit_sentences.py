"""The Audit Log's sentences (accounts/audit.py): people by name, servers by name, and
the stored code untouched for exports and the API.

alice administers My Company; bob is a Regular Member; dave is blocked.
"""

from __future__ import annotations

import pytest

from accounts import services
from accounts.audit import audit_action_label, audit_rows, audit_sentence
from accounts.models import AuditLog, Membership
from tests import factories


@pytest.mark.django_db
def test_a_block_reads_as_who_blocked_whom(alice, bob, company):
    services.membership_block(
        membership=Membership.objects.get(user=bob, account=company), actor=alice
    )

    [row] = audit_rows(AuditLog.objects.filter(action="membership.blocked"), account=company)

    assert row.sentence == "Alice Admin blocked Bob Member"
    assert row.entry.action == "membership.blocked"


@pytest.mark.django_db
def test_someone_who_never_joined_keeps_their_address(alice, company):
    factories.user_create("nina@example.com", "Nina", "Elsewhere")
    services.audit_log_record(
        account=company,
        actor=alice,
        channel="web",
        action="invitation.created",
        target_label="nina@example.com",
    )

    [row] = audit_rows(AuditLog.objects.filter(account=company), account=company)

    assert row.sentence == "Alice Admin invited nina@example.com"


@pytest.mark.django_db
def test_what_a_proxy_server_does_itself_is_said_of_the_server(company):
    entry = services.audit_log_record(
        account=company,
        channel="proxy",
        action="proxy_server.activated",
        actor_label="installation lab-proxy",
        target_label="lab-proxy",
    )

    assert audit_sentence(entry) == "The proxy server lab-proxy activated its license key online"


@pytest.mark.django_db
def test_an_unknown_code_is_shown_as_it_is(alice, company):
    # An entry written before its code left the catalog (the writer refuses new ones).
    entry = AuditLog.objects.create(
        account=company, actor=alice, channel="web", action="x.done", target_label="T"
    )

    assert audit_sentence(entry) == "Alice Admin: x.done T"
    assert audit_action_label("x.done") == "x.done"
    assert audit_action_label("membership.blocked") == "Member blocked"
