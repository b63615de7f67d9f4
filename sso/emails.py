"""The e-mails of single sign-on, one function each, to the account's administrators in
their languages (written to the outbox in the caller's transaction)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from accounts.emails import drafts_by_locale
from accounts.language import Recipient
from accounts.models import Account, Membership
from outbox.models import OutboxEmail
from outbox.services import email_queue_many


def _admins(account: Account) -> list[Recipient]:
    return [
        Recipient(email=m.user.email, language=m.user.language, time_zone=m.user.time_zone)
        for m in Membership.objects.filter(
            account=account, role=Membership.Role.ADMIN, status=Membership.Status.ACTIVE
        ).select_related("user")
    ]


def domain_lost_email(*, account: Account, domain: str) -> list[OutboxEmail]:
    """The daily check no longer finds a verified domain's TXT record."""
    return email_queue_many(
        drafts_by_locale(
            kind="sso.domain_lost",
            to=_admins(account),
            subject=lambda: gettext("%(domain)s is no longer verified") % {"domain": domain},
            template="sso/email/domain_lost",
            context={
                "account": account,
                "domain": domain,
                "link": settings.SITE_URL + reverse("sso_settings"),
            },
        )
    )
