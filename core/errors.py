"""The one domain error of every app (pretix's OrderError): a code, a message for people
and, when the input was at fault, the form field it belongs to.

Each app keeps its own message catalog in a subclass (AccountsError, SubscriptionError,
LicensingError, ApiTokenError) and its services raise it; nothing was changed when one
is raised. Each surface maps the base class once: api.errors to HTTP, form_error_add to
form errors, licensing.api to the protocol's {"error": {"code", "message"}}.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy


class DomainError(Exception):
    """A refused operation; `code` picks the message (and field, and HTTP status) from the
    subclass's catalog."""

    messages: ClassVar[dict[str, str]] = {}
    # Which form field an error belongs to; anything else is a non-field error.
    fields: ClassVar[dict[str, str]] = {}
    # The HTTP status of a refusal, for the API; 400 unless listed.
    statuses: ClassVar[dict[str, int]] = {}
    default_message: ClassVar[str] = gettext_lazy("The request was refused.")

    def __init__(self, code: str, message: str | None = None, **params: Any) -> None:
        self.code = code
        self.params = params
        # The catalogs hold lazy translations with named {placeholders}: the message is in
        # the language of the request that is refused, the code stays English.
        template = self.messages.get(code, self.default_message)
        self.message = str(message) if message is not None else str(template).format(**params)
        self.field: str | None = self.fields.get(code)
        self.status: int = self.statuses.get(code, 400)
        super().__init__(self.message)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one JSON shape of every refusal the APIs answer: ``{"error": {"code",
    "message", ...}}``. The code stays English for programs; the message is in the
    request's language; ``extra`` adds members such as ``fields``."""
    return {"error": {"code": code, "message": str(message), **extra}}


def form_error_add(form: forms.Form, error: DomainError) -> None:
    """The one place a service's refusal becomes a form error: on its field, or on the
    whole form when the form has no such field."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
