"""support.services: tickets, replies, statuses, watchers, incidents and their e-mails."""

from __future__ import annotations

import pytest

from accounts.models import AuditLog, Membership
from outbox.models import OutboxEmail
from support import services
from support.errors import SupportError
from support.models import Ticket, TicketAttachment, TicketMessage, TicketWatcher
from tests.support.conftest import PNG, ticket_create

pytestmark = pytest.mark.django_db


def _recipients(mailoutbox) -> list[str]:
    return sorted(address for m in mailoutbox for address in m.to)


def test_the_author_watches_a_new_ticket_and_it_is_audited(company, alice):
    ticket = ticket_create(company, alice)
    assert ticket.status == Ticket.Status.OPEN
    assert list(ticket.watchers.values_list("user", flat=True)) == [alice.pk]
    assert ticket.messages.get().body == "It says the key is taken."
    entry = AuditLog.objects.get(action="ticket.created")
    assert (entry.account, entry.actor, entry.target_id) == (company, alice, str(ticket.pk))


def test_a_reply_mails_each_other_watcher_once_and_never_its_author(
    ticket, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, author=bob, message="Same here.")
    assert _recipients(mailoutbox) == ["alice@example.com"]
    assert "New reply on ticket #" in mailoutbox[0].subject
    assert "Same here." in mailoutbox[0].body


def test_watchers_get_the_email_in_their_own_language(
    ticket, alice, bob, erin, mailoutbox, django_capture_on_commit_callbacks
):
    bob.language = "de"
    bob.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_staff_reply(ticket=ticket, staff=erin, message="Deactivate it first.")
    assert len(mailoutbox) == 2  # one per watcher, each in its own language
    by_address = {m.to[0]: m for m in mailoutbox}
    assert "Neue Antwort" in by_address["bob@example.com"].subject
    assert "New reply" in by_address["alice@example.com"].subject
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING


def test_an_internal_note_is_never_mailed_nor_audited_nor_shown(
    ticket, erin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_staff_reply(ticket=ticket, staff=erin, message="VIP", internal=True)
    assert mailoutbox == []
    assert not AuditLog.objects.filter(action="ticket.replied").exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_staff_reply_that_resolves_sends_one_email_per_watcher(
    ticket, erin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_staff_reply(
            ticket=ticket, staff=erin, message="Fixed.", status=Ticket.Status.RESOLVED
        )
    assert _recipients(mailoutbox) == ["alice@example.com", "bob@example.com"]
    assert all(len(m.to) == 1 for m in mailoutbox)  # nobody sees another's address
    assert "Resolved" in mailoutbox[0].body


def test_close_and_reopen_tell_the_other_watchers(
    ticket, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_close(ticket=ticket, actor=alice)
    assert _recipients(mailoutbox) == ["bob@example.com"]
    assert "Closed" in mailoutbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reopen(ticket=ticket, actor=bob)
    assert _recipients(mailoutbox) == ["alice@example.com", "bob@example.com"]
    assert [e.action for e in AuditLog.objects.filter(action__startswith="ticket.").order_by("id")][
        -2:
    ] == ["ticket.closed", "ticket.reopened"]


def test_a_closed_ticket_refuses_replies_and_nothing_changes(ticket, alice):
    services.ticket_close(ticket=ticket, actor=alice)
    messages = TicketMessage.objects.count()
    with pytest.raises(SupportError) as refused:
        services.ticket_reply(ticket=ticket, author=alice, message="Hello?")
    assert refused.value.code == "ticket_closed"
    assert TicketMessage.objects.count() == messages
    with pytest.raises(SupportError) as refused:
        services.ticket_close(ticket=ticket, actor=alice)
    assert refused.value.code == "already_closed"


def test_a_blocked_watcher_hears_nothing(
    ticket, alice, bob, company, mailoutbox, django_capture_on_commit_callbacks
):
    Membership.objects.filter(user=bob, account=company).update(status=Membership.Status.BLOCKED)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_close(ticket=ticket, actor=alice)
    assert mailoutbox == []


def test_watching_rules(ticket, company, alice, bob, dave, charlie):
    # bob (a member) stops and starts his own watching...
    services.watcher_remove(ticket=ticket, user=bob, actor=bob)
    services.watcher_add(ticket=ticket, user=bob, actor=bob)
    # ...but not alice's;
    with pytest.raises(SupportError) as refused:
        services.watcher_remove(ticket=ticket, user=alice, actor=bob)
    assert refused.value.code == "not_admin_watchers"
    # alice, an administrator, removes bob; blocked dave and outsider charlie can't watch.
    services.watcher_remove(ticket=ticket, user=bob, actor=alice)
    for outsider in (dave, charlie):
        with pytest.raises(SupportError) as refused:
            services.watcher_add(ticket=ticket, user=outsider, actor=alice)
        assert refused.value.code == "watcher_not_member"
    with pytest.raises(SupportError) as refused:
        services.watcher_add(ticket=ticket, user=alice, actor=alice)
    assert refused.value.code == "already_watching"
    assert list(TicketWatcher.objects.values_list("user", flat=True)) == [alice.pk]
    with pytest.raises(SupportError) as refused:
        services.watcher_add(ticket=ticket, user=charlie, actor=charlie)
    assert refused.value.code == "not_member"


def test_an_outsider_cannot_open_or_reply(company, charlie, dave, ticket):
    for outsider in (charlie, dave):
        with pytest.raises(SupportError) as refused:
            ticket_create(company, outsider)
        assert refused.value.code == "not_member"
        with pytest.raises(SupportError):
            services.ticket_reply(ticket=ticket, author=outsider, message="x")
    assert Ticket.objects.count() == 1


def test_a_ticket_cannot_concern_another_accounts_things(
    company, alice, other_subscription, subscription
):
    with pytest.raises(SupportError) as refused:
        ticket_create(company, alice, subscription=other_subscription)
    assert refused.value.code == "subscription_unknown"
    with pytest.raises(SupportError) as refused:
        ticket_create(company, alice, license_key=other_subscription.primary_key)
    assert refused.value.code == "license_key_unknown"
    assert Ticket.objects.count() == 0


def test_a_key_implies_its_subscription(company, alice, subscription, proxy):
    ticket = ticket_create(company, alice, proxy_server=proxy)
    assert ticket.subscription == subscription


@pytest.mark.parametrize(
    ("subject", "category", "message", "code"),
    [
        ("  ", "technical", "x", "subject_required"),
        ("S", "billing", "x", "category_invalid"),
        ("S", "technical", " \n", "message_required"),
    ],
)
def test_bad_input_changes_nothing(company, alice, subject, category, message, code):
    with pytest.raises(SupportError) as refused:
        services.ticket_create(
            account=company, author=alice, subject=subject, category=category, message=message
        )
    assert refused.value.code == code
    assert Ticket.objects.count() == TicketMessage.objects.count() == 0
    assert not AuditLog.objects.filter(action__startswith="ticket.").exists()


def test_incidents_technical_tickets_use_one_and_are_refused_when_none_are_left(
    company, alice, subscription
):
    subscription.support_incidents = 1
    subscription.save(update_fields=["support_incidents"])
    first = ticket_create(company, alice, subscription=subscription)
    assert first.uses_incident
    with pytest.raises(SupportError) as refused:
        ticket_create(company, alice, subscription=subscription)
    assert refused.value.code == "no_incidents_left"
    assert "Headquarters" in refused.value.message
    # Licensing and purchase questions do not use incidents.
    for category in (Ticket.Category.LICENSING, Ticket.Category.PURCHASE):
        assert not ticket_create(
            company, alice, subscription=subscription, category=category
        ).uses_incident
    assert Ticket.objects.count() == 3


def test_unlimited_incidents_by_default(company, alice, subscription):
    for _ in range(3):
        ticket_create(company, alice, subscription=subscription)
    assert Ticket.objects.filter(uses_incident=True).count() == 0


def test_attachments_are_told_by_content(company, alice):
    ticket = ticket_create(
        company,
        alice,
        uploads=[
            services.Upload(name="screenshot", content=PNG),
            services.Upload(name="proxy.log", content=b"line 1\nline 2\n"),
        ],
    )
    types = sorted(
        TicketAttachment.objects.filter(message__ticket=ticket).values_list(
            "content_type", flat=True
        )
    )
    assert types == ["image/png", "text/plain"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>", "attachment_type"),
        ("setup.png", b"MZ\x90\x00\x03\x00\x00\x00", "attachment_type"),
        ("big.txt", b"a" * (5 * 1024 * 1024 + 1), "attachment_too_large"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_stored(company, alice, name, content, code):
    with pytest.raises(SupportError) as refused:
        ticket_create(company, alice, uploads=[services.Upload(name=name, content=content)])
    assert refused.value.code == code
    assert Ticket.objects.count() == TicketAttachment.objects.count() == 0


def test_too_many_attachments(company, alice):
    uploads = [services.Upload(name=f"{i}.png", content=PNG) for i in range(6)]
    with pytest.raises(SupportError) as refused:
        ticket_create(company, alice, uploads=uploads)
    assert refused.value.code == "too_many_attachments"
    assert Ticket.objects.count() == 0


def test_staff_only_for_staff_operations(ticket, alice):
    with pytest.raises(SupportError) as refused:
        services.ticket_staff_reply(ticket=ticket, staff=alice, message="x")
    assert refused.value.code == "not_staff"
    with pytest.raises(SupportError):
        services.ticket_status_set(ticket=ticket, staff=alice, status="resolved")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_rolled_back_reply_writes_no_email(ticket, bob):
    from django.db import transaction

    before = OutboxEmail.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_reply(ticket=ticket, author=bob, message="x")
        raise RuntimeError("boom")
    assert OutboxEmail.objects.count() == before
