"""One domain error for webhooks, with its message catalog (as subscriptions/errors.py).
Pages map it to form errors, the API to its error shape: the wording lives here only."""

from __future__ import annotations

ERROR_MESSAGES: dict[str, str] = {
    "not_admin": "Only an Account Administrator of this business account can do this.",
    "not_business": "Webhooks belong to business accounts.",
    "url_refused": "{reason}",
    "event_types_required": "Choose at least one event type.",
    "event_type_unknown": "Unknown event type: {type}.",
    "too_many_endpoints": "An account can have at most {limit} webhook endpoints.",
    "endpoint_disabled": "This endpoint is disabled. Enable it first.",
    "delivery_pending": "This event is still being delivered.",
}

ERROR_FIELDS: dict[str, str] = {
    "url_refused": "url",
    "event_types_required": "event_types",
    "event_type_unknown": "event_types",
}


class WebhookError(Exception):
    """A refused webhook operation; nothing was changed."""

    def __init__(self, code: str, **params) -> None:
        self.code = code
        self.params = params
        self.message = ERROR_MESSAGES[code].format(**params)
        super().__init__(self.message)

    @property
    def field(self) -> str | None:
        return ERROR_FIELDS.get(self.code)
