"""Background work of business accounts: the emails, sent after the transaction commits."""

from __future__ import annotations

import smtplib

from celery import shared_task

from accounts import emails
from accounts.models import Account, Invitation, User
from accounts.services import invitation_token_issue

# A mail server that is down or refuses for a moment is retried with growing pauses.
RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(**RETRY)
def invitation_send_task(invitation_id: int) -> bool:
    """Email a pending invitation with a freshly drawn link (the token lives only here)."""
    invitation = (
        Invitation.objects.select_related("account", "invited_by")
        .filter(pk=invitation_id, status=Invitation.Status.PENDING)
        .first()
    )
    if invitation is None:  # revoked or accepted before we got to it
        return False
    token = invitation_token_issue(invitation_id=invitation.pk)
    if token is None:
        return False
    emails.invitation_email(invitation=invitation, token=token)
    return True


MEMBERSHIP_EMAILS = {
    "blocked": emails.membership_blocked_email,
    "unblocked": emails.membership_unblocked_email,
    "removed": emails.membership_removed_email,
}


@shared_task(**RETRY)
def membership_email_task(kind: str, user_id: int, account_id: int) -> bool:
    """Tell a person their membership was blocked, unblocked or removed."""
    user = User.objects.filter(pk=user_id).first()
    account = Account.objects.filter(pk=account_id).first()
    if user is None or account is None:
        return False
    MEMBERSHIP_EMAILS[kind](user=user, account=account)
    return True
