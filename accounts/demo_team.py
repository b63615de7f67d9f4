"""Demo people of the business account: a pending invitation, a blocked member, audit entries.

Runs last (after subscriptions/demo.py has created the company); it does nothing
when there is no business account to show.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Account, AuditLog, Invitation, Membership, User
from accounts.services import audit_log_record, invitation_token_issue, user_create

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

    # A pending invitation (no email: an administrator can Resend it to get a link).
    email = "new.colleague@example.com"
    if not Invitation.objects.filter(account=company, email=email).exists():
        invitation = Invitation.objects.create(
            account=company,
            email=email,
            invited_by=admin,
            expires_at=timezone.now() + timedelta(days=7),
        )
        invitation_token_issue(invitation_id=invitation.pk)
        audit_log_record(
            account=company,
            actor=admin,
            channel=CHANNEL,
            action="invitation.created",
            target=invitation,
            target_label=email,
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
