"""The message catalog of webhooks (see core.errors.DomainError): pages map it to
form errors, the API to its error shape; the wording lives here only."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class WebhookError(DomainError):
    """A refused webhook operation; nothing was changed."""

    messages: ClassVar[dict[str, str]] = {
        "not_business": _("Webhooks belong to business accounts."),
        "url_refused": "{reason}",
        "event_types_required": _("Choose at least one event type."),
        "event_type_unknown": _("Unknown event type: {type}."),
        "too_many_endpoints": _("An account can have at most {limit} webhook endpoints."),
        "endpoint_disabled": _("This endpoint is disabled. Enable it first."),
        "delivery_pending": _("This event is being sent right now."),
        # Deleted by another administrator while this change was on its way.
        "not_found": _("No such webhook endpoint in this account."),
    }
    fields: ClassVar[dict[str, str]] = {
        "url_refused": "url",
        "event_types_required": "event_types",
        "event_type_unknown": "event_types",
    }
    statuses: ClassVar[dict[str, int]] = {
        "endpoint_disabled": 409,
        "delivery_pending": 409,
        "not_found": 404,
    }
