"""Demo data for the business account's people: runs last, twice without harm."""

from __future__ import annotations

from django.core.management import call_command

from accounts import demo_team
from accounts.models import AuditLog, Invitation, Membership


def test_it_does_nothing_without_a_business_account(db):
    demo_team.seed({})
    assert not Invitation.objects.exists()


def test_it_adds_invitations_a_blocked_member_and_audit_entries(alice, company):
    for _ in range(2):
        demo_team.seed({"company": company, "demo_user": alice})
    invitations = Invitation.objects.filter(account=company, status="pending").order_by("email")
    # One e-mail on its way, one the mail server refused (Users page and /admin/ show it).
    assert [(i.email, i.email_status) for i in invitations] == [
        ("new.colleague@example.com", "queued"),
        ("typo.colleague@example.con", "failed"),
    ]
    assert "SMTPRecipientsRefused" in invitations[1].outbox_email.last_error
    blocked = Membership.objects.get(account=company, status=Membership.Status.BLOCKED)
    assert blocked.user.email == "former.contractor@example.com"
    assert AuditLog.objects.filter(account=company, action="membership.blocked").count() == 1


def test_the_demo_command_runs_it(db):
    call_command("demo_data", password="demo-password-123")
    call_command("demo_data", password="demo-password-123")
    assert (
        Membership.objects.filter(
            user__email="former.contractor@example.com", status="blocked"
        ).count()
        <= 1
    )
