"""The licensing protocol's one error type and its message catalog (pretix's OrderError).

The API maps ``status`` to the HTTP answer; the offline page shows ``message``. Refusals
a key holder could learn from read the same: an unknown key, a key of another account
and a key not registered to any account all give ``invalid_key``.
"""

from __future__ import annotations

from typing import ClassVar

from accounts.errors import DomainError
from licensing.client import envelope

OFFLINE_PAGE = "the Offline Activation and Validation page"

# code -> (HTTP status, message). Messages are shown to people as they are.
CATALOG: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "The request is malformed: {detail}"),
    "replayed": (
        409,
        "This request was already processed: each request or file is accepted only once. "
        "Create a new one.",
    ),
    "invalid_key": (404, "This license key is not valid or not registered."),
    "key_expired": (
        403,
        "This license key expired on {end_date}. Renew the subscription to use it again.",
    ),
    "key_not_started": (403, "This license key is valid from {start_date}."),
    "key_in_use": (
        409,
        "This license key is already active on another installation. Deactivate that "
        "installation first, then activate this one.",
    ),
    "offline_not_allowed": (
        403,
        "Offline activation is not enabled for this subscription. Ask your sales "
        "representative to enable it.",
    ),
    "wrong_channel": (409, "{detail}"),
    "unknown_installation": (404, "This installation is not activated on the portal."),
    "installation_deactivated": (
        409,
        "This installation has been deactivated. Refresh it to update its status, or "
        "activate it again.",
    ),
    "wrong_installation_key": (
        403,
        "This request is not signed by the key this installation was activated with.",
    ),
    "installation_active": (
        409,
        "This installation is already activated with another license key. Deactivate it first.",
    ),
    "not_allowed": (
        403,
        "Only an Account Administrator of the account that owns this license key can do this.",
    ),
}

# Envelope refusals keep their own codes and messages; all are the client's fault.
ENVELOPE_STATUS = 400


class LicensingError(DomainError):
    """A licensing request was refused; nothing was changed."""

    messages: ClassVar[dict[str, str]] = {code: text for code, (_, text) in CATALOG.items()}
    statuses: ClassVar[dict[str, int]] = {code: status for code, (status, _) in CATALOG.items()}

    @classmethod
    def from_envelope(cls, exc: envelope.EnvelopeError) -> LicensingError:
        error = cls(exc.code, exc.message)
        error.status = ENVELOPE_STATUS
        return error
