"""The e-mails of single sign-on, one function each, to the account's administrators in
their languages (written to the outbox in the caller's transaction)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext

from accounts.emails import drafts_by_locale
from accounts.language import Recipient, locale_override
from accounts.models import Account, Membership, User
from outbox.models import OutboxEmail
from outbox.services import email_queue, email_queue_many


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


def enforcement_email(*, account: Account, on: bool, actor: User) -> list[OutboxEmail]:
    """ "Require SSO" was turned on or off."""
    return email_queue_many(
        drafts_by_locale(
            kind="sso.enforcement",
            to=_admins(account),
            subject=lambda: (
                (
                    gettext("Single sign-on is now required for %(account)s")
                    if on
                    else gettext("Single sign-on is no longer required for %(account)s")
                )
                % {"account": account.name}
            ),
            template="sso/email/enforcement",
            context={
                "account": account,
                "on": on,
                "actor": actor.get_full_name() or actor.email,
                "link": settings.SITE_URL + reverse("sso_settings"),
            },
        )
    )


def sso_required_email(*, user: User) -> OutboxEmail:
    """Instead of a password reset link: this person signs in with SSO only."""
    with locale_override(language=user.language, time_zone=user.time_zone):
        context = {
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL,
            "user": user,
            "link": settings.SITE_URL + reverse("sso_start"),
        }
        return email_queue(
            kind="sso.password_reset_refused",
            to=[user.email],
            subject=f"[{settings.SITE_NAME}] " + gettext("Sign in with single sign-on"),
            body=render_to_string("sso/email/sso_required.txt", context),
            html=render_to_string("sso/email/sso_required.html", context),
        )
