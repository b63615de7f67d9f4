"""The e-mails of webhooks: one function per e-mail, text and HTML templates, written in
each recipient's language (accounts/language.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext

from accounts.language import locale_override, recipients_by_locale
from outbox.services import email_queue_message
from reports.services import account_admin_recipients
from webhooks.models import Endpoint


def endpoint_disabled_email_queue(*, endpoint: Endpoint) -> bool:
    """Tell the account's administrators that an endpoint was disabled after five days
    of failed deliveries, through the outbox (call inside the transaction that disables
    it): one e-mail per language among them. False when there is nobody to tell."""
    recipients = account_admin_recipients(account_id=endpoint.account_id)
    if not recipients:
        return False
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "endpoint": endpoint,
        "account": endpoint.account,
        "link": settings.SITE_URL + reverse("webhook_endpoint", args=[endpoint.pk]),
    }
    for (language, time_zone), addresses in recipients_by_locale(recipients).items():
        with locale_override(language=language, time_zone=time_zone):
            subject = gettext("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url}
            message = EmailMultiAlternatives(
                subject=f"[{settings.SITE_NAME}] {subject}",
                body=render_to_string("webhooks/email/endpoint_disabled.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=addresses,
            )
            message.attach_alternative(
                render_to_string("webhooks/email/endpoint_disabled.html", context), "text/html"
            )
            email_queue_message(message, kind="webhooks.endpoint_disabled")
    return True
