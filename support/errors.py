"""The support app's refusals (core.errors.DomainError): codes, messages, form fields."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class SupportError(DomainError):
    messages: ClassVar[dict[str, str]] = {
        "not_member": _("Only an active member of this account can do this."),
        "not_staff": _("Only the support team can do this."),
        "subject_required": _("Give the ticket a subject."),
        "message_required": _("Write a message."),
        "category_invalid": _("Choose a category: technical, licensing or purchase."),
        "subscription_unknown": _("Choose one of this account's subscriptions."),
        "license_key_unknown": _("Choose one of this account's license keys."),
        "proxy_server_unknown": _("Choose one of this account's proxy servers."),
        "concern_mismatch": _(
            "The license key or proxy server you chose belongs to another subscription."
        ),
        "no_incidents_left": _(
            "The subscription “{subscription}” has no support incidents left, so it cannot "
            "open another technical ticket. Licensing and purchase tickets are still "
            "possible; ask the Sales team for more incidents."
        ),
        "ticket_closed": _("This ticket is closed. Reopen it to reply."),
        "already_closed": _("This ticket is already closed."),
        "not_closed": _("Only a closed or resolved ticket can be reopened."),
        "status_invalid": _("Choose a valid status."),
        "status_unchanged": _("The ticket already has this status."),
        "not_admin_watchers": _(
            "Only an Account Administrator can add or remove other people as watchers."
        ),
        "watcher_not_member": _("Only active members of this account can watch its tickets."),
        "already_watching": _("{name} already watches this ticket."),
        "not_watching": _("{name} does not watch this ticket."),
        "attachment_too_large": _("“{name}” is larger than {limit} MB."),
        "attachment_type": _(
            "“{name}” is not a file type support accepts: send a PNG, JPEG or GIF image, "
            "a PDF, a ZIP archive or a plain text file."
        ),
        "too_many_attachments": _("Attach at most {limit} files to one message."),
    }
    fields: ClassVar[dict[str, str]] = {
        "subject_required": "subject",
        "message_required": "message",
        "category_invalid": "category",
        "subscription_unknown": "subscription",
        "license_key_unknown": "license_key",
        "proxy_server_unknown": "proxy_server",
        "concern_mismatch": "license_key",
        "no_incidents_left": "subscription",
        "status_invalid": "status",
        "attachment_too_large": "attachments",
        "attachment_type": "attachments",
        "too_many_attachments": "attachments",
    }
    statuses: ClassVar[dict[str, int]] = {
        "not_member": 403,
        "not_staff": 403,
        "not_admin_watchers": 403,
        "no_incidents_left": 409,
        "ticket_closed": 409,
        "already_closed": 409,
        "not_closed": 409,
        "status_unchanged": 409,
        "already_watching": 409,
        "not_watching": 409,
        "attachment_too_large": 413,
    }
