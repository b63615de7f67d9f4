"""The emails of business accounts: one function per email, text and HTML templates."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Account, Invitation, User


def _send(*, to: str, subject: str, template: str, context: dict) -> None:
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    text = render_to_string(f"accounts/email/{template}.txt", context)
    html = render_to_string(f"accounts/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()


def invitation_email(*, invitation: Invitation, token: str) -> None:
    """The invitation with its single-use "Join account" link."""
    inviter = invitation.invited_by
    _send(
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


def membership_blocked_email(*, user: User, account: Account) -> None:
    _send(
        to=user.email,
        subject=f"Your membership of {account.name} has been blocked",
        template="membership_blocked",
        context={"user": user, "account": account},
    )


def membership_unblocked_email(*, user: User, account: Account) -> None:
    _send(
        to=user.email,
        subject=f"Your membership of {account.name} has been restored",
        template="membership_unblocked",
        context={"user": user, "account": account},
    )


def membership_removed_email(*, user: User, account: Account) -> None:
    _send(
        to=user.email,
        subject=f"Your membership of {account.name} has been canceled",
        template="membership_removed",
        context={"user": user, "account": account},
    )
