from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from accounts.language import language_current, locale_override
from accounts.models import User
from accounts.services import personal_account_ensure
from outbox.services import email_queue_message


def public_links(context: dict[str, Any], request) -> dict[str, Any]:
    """Point every link allauth built from the request's host at SITE_URL instead.

    allauth builds its links (confirm e-mail, reset password, sign up) from the host
    the request came in on, which behind a proxy or on an internal name is not the
    address people can open. The portal's one public address is SITE_URL.
    """
    if request is None:
        return context
    origin = request.build_absolute_uri("/").rstrip("/")
    return {
        key: settings.SITE_URL + value[len(origin) :]
        if isinstance(value, str) and (value == origin or value.startswith(origin + "/"))
        else value
        for key, value in context.items()
    }


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # Who signs up in a language keeps it: their pages on every device and their
        # e-mails speak it until they change it in Personal Profile.
        user.language = language_current()
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Every user gets a personal account the moment they sign up.
            personal_account_ensure(user=user)
        return user

    def login(self, request, user) -> None:
        super().login(request, user)
        keep = request.session.pop("signup_keep_signed_in", None)
        if keep is not None:
            request.session.set_expiry(settings.SESSION_COOKIE_AGE if keep else 0)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's e-mails (confirmation, password reset, notifications) go through the
        outbox like every other, with links to SITE_URL and the site's name."""
        request = self.request
        context = public_links(
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
            request,
        )
        # In the recipient's language once they have one, else the request's.
        user = User.objects.filter(email__iexact=email).first()
        # The greeting names the reader (templates/account/email/base_message.txt).
        context["recipient"] = user
        with locale_override(
            language=user.language if user else "", time_zone=user.time_zone if user else ""
        ):
            message = self.render_mail(template_prefix, email, context)
        email_queue_message(message, kind="allauth." + template_prefix.rsplit("/", 1)[-1])


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def save_user(self, request, sociallogin, form=None):
        sociallogin.user.language = language_current()
        user = super().save_user(request, sociallogin, form=form)
        personal_account_ensure(user=user)
        return user
