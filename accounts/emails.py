"""The e-mails of business accounts: one function per e-mail, text and HTML templates.

Each writes its e-mail to the outbox, in the caller's transaction (outbox/services.py):
it is sent after commit, by Celery, and never lost if the broker is down.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Account, Feedback, Invitation, User
from outbox.models import OutboxEmail
from outbox.services import email_queue


def _queue(*, kind: str, to: str, subject: str, template: str, context: dict) -> OutboxEmail:
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    return email_queue(
        kind=f"accounts.{kind}",
        to=[to],
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"accounts/email/{template}.txt", context),
        html=render_to_string(f"accounts/email/{template}.html", context),
    )


def invitation_email(*, invitation: Invitation, token: str) -> OutboxEmail:
    """The invitation with its single-use "Join account" link."""
    inviter = invitation.invited_by
    return _queue(
        kind="invitation",
        to=invitation.email,
        subject=f"Join {invitation.account.name} on {settings.SITE_NAME}",
        template="invitation",
        context={
            "invitation": invitation,
            "account": invitation.account,
            "inviter": (inviter.get_full_name() or inviter.email) if inviter else "",
            "link": settings.SITE_URL + reverse("invitation_join", args=[token]),
        },
    )


MEMBERSHIP_SUBJECTS = {
    "blocked": "Your membership of {account} has been blocked",
    "unblocked": "Your membership of {account} has been restored",
    "removed": "Your membership of {account} has been canceled",
}


def membership_email(*, kind: str, user: User, account: Account) -> OutboxEmail:
    """Tell a person their membership was blocked, unblocked or removed."""
    return _queue(
        kind=f"membership_{kind}",
        to=user.email,
        subject=MEMBERSHIP_SUBJECTS[kind].format(account=account.name),
        template=f"membership_{kind}",
        context={"user": user, "account": account},
    )


def feedback_email(*, feedback: Feedback) -> OutboxEmail:
    """A customer's "Leave Feedback" message, to the address staff configured."""
    return _queue(
        kind="feedback",
        to=settings.FEEDBACK_EMAIL,
        subject=f"Feedback from {feedback.email}",
        template="feedback",
        context={
            "feedback": feedback,
            "admin_url": settings.SITE_URL
            + reverse("admin:accounts_feedback_change", args=[feedback.pk]),
        },
    )
