"""The e-mails watchers get: one per public reply or status change and watcher, in the
watcher's language (accounts.emails.drafts_by_locale), written to the outbox in the
change's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from accounts.emails import drafts_by_locale
from accounts.language import Recipient
from accounts.models import User
from outbox.models import OutboxEmail
from outbox.services import email_queue_many
from support.models import Ticket, TicketMessage


def _drafts(users: Sequence[User], **kwargs) -> list:
    """One e-mail per watcher, in their language and time zone: a watcher's address is
    not shown to the others."""
    drafts = []
    for user in users:
        to = [Recipient(email=user.email, language=user.language, time_zone=user.time_zone)]
        drafts.extend(drafts_by_locale(to=to, **kwargs))
    return drafts


def _who(actor: User | None, *, staff: bool) -> str:
    if staff:
        return gettext("The support team")
    if actor is None:
        return gettext("Someone")
    return actor.get_full_name() or actor.email


def _link(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("ticket_detail", args=[ticket.pk])


def ticket_reply_email(
    *,
    ticket: Ticket,
    message: TicketMessage,
    recipients: Sequence[User],
    old_status: str | None = None,
) -> list[OutboxEmail]:
    """A public reply, to the watchers who did not write it; with its status change
    when the reply made one (one e-mail for one change)."""
    if not recipients:
        return []
    status_changed = old_status is not None and old_status != ticket.status
    drafts = _drafts(
        recipients,
        kind="support.ticket_replied",
        subject=lambda: (
            gettext("New reply on ticket #%(number)s: %(subject)s")
            % {"number": ticket.pk, "subject": ticket.subject}
        ),
        template="support/email/ticket_replied",
        context={
            "ticket": ticket,
            "message": message,
            "who": lambda: _who(message.author, staff=message.from_staff),
            "status": Ticket.Status(ticket.status).label,
            "status_changed": status_changed,
            "link": _link(ticket),
        },
    )
    return email_queue_many(drafts)


def ticket_status_email(
    *, ticket: Ticket, old: str, actor: User, by_staff: bool, recipients: Sequence[User]
) -> list[OutboxEmail]:
    """A status change (closed, reopened, resolved ...), to the watchers who did not
    make it."""
    if not recipients:
        return []
    drafts = _drafts(
        recipients,
        kind="support.ticket_status_changed",
        subject=lambda: (
            gettext("Ticket #%(number)s is now %(status)s: %(subject)s")
            % {
                "number": ticket.pk,
                "status": Ticket.Status(ticket.status).label,
                "subject": ticket.subject,
            }
        ),
        template="support/email/ticket_status_changed",
        context={
            "ticket": ticket,
            "who": lambda: _who(actor, staff=by_staff),
            "old_status": Ticket.Status(old).label,
            "status": Ticket.Status(ticket.status).label,
            "link": _link(ticket),
        },
    )
    return email_queue_many(drafts)
