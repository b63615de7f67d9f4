"""audit_log_record: the entry, and for a business account its outbox row, written with
the change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, AuditLog, AuditOutbox
from accounts.services import audit_log_record

pytestmark = pytest.mark.django_db


def test_a_business_accounts_entry_comes_with_its_outbox_row(alice, company):
    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        entry = audit_log_record(
            action="membership.role_changed",
            channel=AuditLog.Channel.WEB,
            account=company,
            actor=alice,
            target=alice,
            data={"role": "admin", "note": "é"},
        )
    assert len(queries) == 2  # the entry, its outbox row
    stored = AuditLog.objects.get(pk=entry.pk)
    assert (stored.account, stored.actor, stored.actor_label) == (company, alice, alice.email)
    assert (stored.action, stored.channel, stored.data) == (
        "membership.role_changed",
        "web",
        {"role": "admin", "note": "é"},
    )
    assert (stored.target_type, stored.target_id) == ("accounts.user", str(alice.pk))
    assert stored.created_at >= before
    assert entry.created_at == stored.created_at
    assert not entry._state.adding
    assert list(AuditOutbox.objects.values_list("entry_id", flat=True)) == [entry.pk]


def test_a_personal_accounts_entry_has_no_outbox_row(alice):
    personal = Account.objects.create(kind="personal", name="Alice")
    with CaptureQueriesContext(connection) as queries:
        entry = audit_log_record(action="account.updated", channel="web", account=personal)
    assert len(queries) == 1
    assert AuditLog.objects.filter(pk=entry.pk).exists()
    assert not AuditOutbox.objects.exists()


def _serialized(target) -> dict:
    """What AuditLog.state held when Django's "python" serializer made it: the
    serialization of the target's editable fields, through a JSON round trip."""
    import json

    from django.core import serializers
    from django.core.serializers.json import DjangoJSONEncoder

    fields = [
        f.name
        for f in target._meta.concrete_fields
        if f.editable and not f.primary_key and f.name != "password"
    ]
    [state] = serializers.serialize("python", [target], fields=fields)
    return json.loads(json.dumps(state, cls=DjangoJSONEncoder))


def test_an_entrys_state_is_djangos_serialization_of_its_target(alice, company):
    from proxies.models import ProxyServer
    from tests.licensing import factories

    subscription = factories.subscription_make(company)
    key = factories.primary_key_make(subscription)
    proxy = ProxyServer.objects.create(
        account=company,
        license_key=key,
        installation_id=factories.Installation().installation_id,
        server_name="proxy-1.example.com",
        activated_at=timezone.now(),
    )
    targets = [alice, company, subscription, key, proxy]

    for target in targets:
        target.refresh_from_db()
        entry = audit_log_record(
            action="membership.role_changed",
            channel=AuditLog.Channel.WEB,
            account=company,
            target=target,
        )
        assert entry.state == _serialized(target)
        assert AuditLog.objects.get(pk=entry.pk).state == _serialized(target)

    proxy.registered_computers = F("registered_computers") + 1
    entry = audit_log_record(
        action="membership.role_changed",
        channel=AuditLog.Channel.WEB,
        account=company,
        target=proxy,
    )
    assert entry.state is None  # an F() expression is no value yet
