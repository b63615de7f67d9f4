"""The e-mails of business accounts: one function per e-mail, text and HTML templates.

Each writes its e-mail to the outbox, in the caller's transaction (outbox/services.py):
it is sent after commit, by Celery, and never lost if the broker is down. Each is
written in its recipient's language and time zone (accounts/language.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext

from accounts.language import Recipient, locale_override, recipients_by_locale
from accounts.models import Account, Feedback, Invitation, User
from outbox.models import OutboxEmail
from outbox.services import EmailDraft, email_queue


def drafts_by_locale(
    *,
    kind: str,
    to: Sequence[Recipient],
    subject: Callable[[], str],
    template: str,
    context: dict[str, Any],
) -> list[EmailDraft]:
    """An e-mail to several people, as one draft per language and time zone among them,
    each rendered in its own: `subject` is called, and `template` + ".txt"/".html"
    rendered, inside each locale. For outbox.services.email_queue_many."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    drafts = []
    for (language, time_zone), addresses in recipients_by_locale(to).items():
        with locale_override(language=language, time_zone=time_zone):
            drafts.append(
                EmailDraft(
                    kind=kind,
                    to=addresses,
                    # A header: no line breaks in the names it carries.
                    subject=" ".join(f"[{settings.SITE_NAME}] {subject()}".split()),
                    body=render_to_string(f"{template}.txt", context),
                    html=render_to_string(f"{template}.html", context),
                )
            )
    return drafts


def _queue(
    *,
    kind: str,
    to: str,
    subject: str,
    template: str,
    context: dict,
) -> OutboxEmail:
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    return email_queue(
        kind=f"accounts.{kind}",
        to=[to],
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"accounts/email/{template}.txt", context),
        html=render_to_string(f"accounts/email/{template}.html", context),
    )


def invitation_email(*, invitation: Invitation, token: str) -> OutboxEmail:
    """The invitation with its single-use "Join account" link: in the invitee's
    language when they already have a user, else in the inviter's."""
    inviter = invitation.invited_by
    invitee = User.objects.filter(email__iexact=invitation.email).only("language", "time_zone")
    user = invitee.first()
    with locale_override(
        language=(user.language if user else "") or invitation.language,
        time_zone=user.time_zone if user else "",
    ):
        return _queue(
            kind="invitation",
            to=invitation.email,
            subject=gettext("Join %(account)s on %(site)s")
            % {"account": invitation.account.name, "site": settings.SITE_NAME},
            template="invitation",
            context={
                "invitation": invitation,
                "account": invitation.account,
                "inviter": (inviter.get_full_name() or inviter.email) if inviter else "",
                "link": settings.SITE_URL + reverse("invitation_join", args=[token]),
            },
        )


def _membership_subject(kind: str, account: str) -> str:
    subjects = {
        "blocked": gettext("Your membership of %(account)s has been blocked"),
        "unblocked": gettext("Your membership of %(account)s has been restored"),
        "removed": gettext("Your membership of %(account)s has been canceled"),
    }
    return subjects[kind] % {"account": account}


def membership_email(*, kind: str, user: User, account: Account) -> OutboxEmail:
    """Tell a person, in their language, their membership was blocked, unblocked or removed."""
    with locale_override(language=user.language, time_zone=user.time_zone):
        return _queue(
            kind=f"membership_{kind}",
            to=user.email,
            subject=_membership_subject(kind, account.name),
            template=f"membership_{kind}",
            context={"user": user, "account": account},
        )


def feedback_email(*, feedback: Feedback) -> OutboxEmail:
    """A customer's "Leave Feedback" message, to the address staff configured: in the
    portal's default language, for staff."""
    with locale_override(language=settings.LANGUAGE_CODE):
        return _queue(
            kind="feedback",
            to=settings.FEEDBACK_EMAIL,
            subject=gettext("Feedback from %(email)s") % {"email": feedback.email},
            template="feedback",
            context={
                "feedback": feedback,
                "admin_url": settings.SITE_URL
                + reverse("admin:accounts_feedback_change", args=[feedback.pk]),
            },
        )
