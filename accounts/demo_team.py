"""Demo people of the business account: pending invitations, a blocked member, audit entries.

Runs last (after subscriptions/demo.py has created the company); it does nothing
when there is no business account to show.
"""

from __future__ import annotations

from accounts.models import Account, AuditLog, Invitation, Membership, User
from accounts.services import audit_log_record, invitation_create, user_create
from outbox.models import OutboxEmail

CHANNEL = AuditLog.Channel.CLI


def _company(context: dict) -> Account | None:
    company = context.get("company")
    if company is None and context.get("demo_user") is not None:
        company = Account.objects.filter(
            kind=Account.Kind.BUSINESS,
            memberships__user=context["demo_user"],
            memberships__role=Membership.Role.ADMIN,
        ).first()
    return company


def seed(context: dict) -> None:
    company = _company(context)
    if company is None:
        return
    admin = context.get("demo_user")

    # Pending invitations: one sent, one whose e-mail the mail server refused (the
    # Users page says "Not sent"; /admin/ lists it among the failed e-mails).
    for email, refused in (
        ("new.colleague@example.com", False),
        ("typo.colleague@example.con", True),
    ):
        if Invitation.objects.filter(account=company, email=email).exists():
            continue
        [invitation] = invitation_create(
            account=company, actor=admin, emails=[email], channel=CHANNEL
        ).invited
        if refused:
            OutboxEmail.objects.filter(pk=invitation.outbox_email_id).update(
                status=OutboxEmail.Status.FAILED,
                attempts=12,
                last_error=f"SMTPRecipientsRefused: {{'{email}': (550, b'5.1.2 Bad domain')}}",
            )

    # A blocked member: kept in the list, without access.
    email = "former.contractor@example.com"
    user = User.objects.filter(email=email).first() or user_create(
        email=email, password=None, first_name="Former", last_name="Contractor", verified=True
    )
    membership, created = Membership.objects.get_or_create(
        user=user,
        account=company,
        defaults={"role": Membership.Role.MEMBER, "status": Membership.Status.BLOCKED},
    )
    if created:
        for action in ("membership.created", "membership.blocked"):
            audit_log_record(
                account=company,
                actor=admin,
                channel=CHANNEL,
                action=action,
                target=membership,
                target_label=email,
            )
    context["team_blocked_member"] = membership
