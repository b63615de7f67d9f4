"""The e-mails of webhooks: one function per e-mail, text and HTML templates, written in
each recipient's language (accounts/language.py)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from accounts.emails import drafts_by_locale
from outbox.services import email_queue_many
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
        "endpoint": endpoint,
        "account": endpoint.account,
        "link": settings.SITE_URL + reverse("webhook_endpoint", args=[endpoint.pk]),
    }
    drafts = drafts_by_locale(
        kind="webhooks.endpoint_disabled",
        to=recipients,
        subject=lambda: gettext("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url},
        template="webhooks/email/endpoint_disabled",
        context=context,
    )
    email_queue_many(drafts)
    return True
