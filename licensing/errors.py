"""The licensing protocol's one error type and its message catalog (pretix's OrderError).

The API maps ``status`` to the HTTP answer; the offline page shows ``message``. Refusals
a key holder could learn from read the same: an unknown key, a key of another account
and a key not registered to any account all give ``invalid_key``.
"""

from __future__ import annotations

import re
from typing import ClassVar

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from licensing.client import envelope

# code -> (HTTP status, message). Messages are shown to people as they are.
CATALOG: dict[str, tuple[int, str]] = {
    "invalid_request": (400, _("The request is malformed: {detail}")),
    "replayed": (
        409,
        _(
            "This request was already processed: each request or file is accepted only once. "
            "Create a new one."
        ),
    ),
    "invalid_key": (404, _("This license key is not valid or not registered.")),
    "key_expired": (
        403,
        _("This license key expired on {end_date}. Renew the subscription to use it again."),
    ),
    "key_not_started": (403, _("This license key is valid from {start_date}.")),
    "key_in_use": (
        409,
        _(
            "This license key is already active on another installation. Deactivate that "
            "installation first, then activate this one."
        ),
    ),
    "offline_not_allowed": (
        403,
        _(
            "Offline activation is not enabled for this subscription. Ask your sales "
            "representative to enable it."
        ),
    ),
    "wrong_channel": (409, "{detail}"),
    "unknown_installation": (404, _("This installation is not activated on the portal.")),
    "installation_deactivated": (
        409,
        _(
            "This installation has been deactivated. Refresh it to update its status, or "
            "activate it again."
        ),
    ),
    "wrong_installation_key": (
        403,
        _("This request is not signed by the key this installation was activated with."),
    ),
    "installation_active": (
        409,
        _("This installation is already activated with another license key. Deactivate it first."),
    ),
    "installation_blacklisted": (
        403,
        _(
            "This installation has been blacklisted by an Account Administrator of the "
            "account: it cannot activate any of the account's license keys."
        ),
    ),
    "not_allowed": (
        403,
        _("Only an Account Administrator of the account that owns this license key can do this."),
    ),
}

# Envelope refusals keep their own codes and messages; all are the client's fault.
ENVELOPE_STATUS = 400

# The envelope's refusals, word for word: licensing/client imports no Django, so it says
# them in English; marked here, the portal says them in the reader's language. A
# message not listed (a new one in the client) is shown in English as it is.
ENVELOPE_MESSAGES: tuple[str, ...] = (
    gettext_noop("The licensing message is invalid."),
    gettext_noop("This is not a MyAccount licensing message (no armor lines found)."),
    gettext_noop("The licensing message is damaged or malformed."),
    gettext_noop("The licensing message uses an unsupported format version."),
    gettext_noop("The licensing message has an unknown type."),
    gettext_noop("The licensing message is not of the expected type."),
    gettext_noop("The licensing message is signed with an unknown key."),
    gettext_noop("The licensing message's signature is invalid (tampered or forged)."),
    gettext_noop("The licensing message is dated in the future; check the clock."),
    gettext_noop("The licensing message has expired."),
    gettext_noop("The portal's key set is not signed by a key this receiver trusts."),
    gettext_noop("The key is not a valid Ed25519 key in PEM format."),
    gettext_noop("The licensing message is too large."),
    gettext_noop("The licensing message is not valid base64."),
    gettext_noop("The licensing message is not UTF-8 text."),
    gettext_noop("The licensing message is not valid JSON."),
    gettext_noop("The licensing message is not a JSON object."),
    gettext_noop("The message is not in the MyAccount licensing format."),
    gettext_noop("The licensing message has no valid version."),
    gettext_noop(
        "The licensing message uses format version %(version)s; only %(supported)s is supported."
    ),
    gettext_noop("The licensing message lacks: %(fields)s."),
    gettext_noop("The licensing message has unexpected fields: %(fields)s."),
    gettext_noop("The licensing message's %(name)s is not a string."),
    gettext_noop("The licensing message's payload is not a JSON object."),
    gettext_noop("The licensing message's key id is malformed."),
    gettext_noop("The licensing message's nonce is malformed."),
    gettext_noop("The licensing message's timestamps are malformed."),
    gettext_noop("The licensing message expires before it was issued."),
    gettext_noop("The licensing message has an unknown type %(type)s."),
    gettext_noop("Expected a message of type %(wanted)s, got one of type %(got)s."),
    gettext_noop("The licensing message is signed with an unknown key %(kid)s."),
    gettext_noop("The licensing message's signature is not valid base64."),
    gettext_noop("The licensing message is dated %(issued_at)s, in the future; check the clocks."),
    gettext_noop("The licensing message expired at %(expires_at)s."),
)


def _pattern(msgid: str) -> re.Pattern[str]:
    """The English sentence as a pattern: each ``%(name)s`` is whatever the client put."""
    return re.compile(re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+)", re.escape(msgid)))


_ENVELOPE_PATTERNS = [(msgid, _pattern(msgid)) for msgid in ENVELOPE_MESSAGES]


def envelope_message(text: str) -> str:
    """An envelope refusal in the active language, with the values the client put in it."""
    for msgid, pattern in _ENVELOPE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            translated = gettext(msgid)
            return translated % match.groupdict() if match.groupdict() else translated
    return text


class LicensingError(DomainError):
    """A licensing request was refused; nothing was changed."""

    messages: ClassVar[dict[str, str]] = {code: text for code, (_, text) in CATALOG.items()}
    statuses: ClassVar[dict[str, int]] = {code: status for code, (status, _) in CATALOG.items()}

    @classmethod
    def from_envelope(cls, exc: envelope.EnvelopeError) -> LicensingError:
        error = cls(exc.code, envelope_message(exc.message))
        error.status = ENVELOPE_STATUS
        return error
