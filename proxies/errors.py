"""The message catalog of blacklisting and moving proxy servers, for
core.errors.DomainError: pages show the message, the API answers the code with its
HTTP status; the wording lives here only."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

ERROR_MESSAGES: dict[str, str] = {
    "already_blacklisted": _("This proxy server is already blacklisted."),
    "not_blacklisted": _("This proxy server is not blacklisted."),
    "move_not_active": _(
        "Only an activated proxy server can be moved to another license key; this one is "
        "deactivated or its deactivation is pending."
    ),
    "move_changed": _("The proxy server changed meanwhile. Reload the page and try again."),
    "move_same_key": _("The proxy server already uses this license key."),
    "move_key_unavailable": _(
        "This license key cannot take the proxy server: it has been deleted, has expired "
        "or has not started yet."
    ),
    "move_other_product": _(
        "The license key is for another product; choose a key of the same product."
    ),
    "move_offline_not_allowed": _(
        "The proxy server was activated offline, and the target key's subscription does not "
        "allow offline use."
    ),
    "move_key_in_use": _(
        "The license key is already active on another installation. Deactivate that "
        "installation first, or choose another key."
    ),
    "move_over_quota": _(
        "The license key has no room for this server's {computers} computers: its quota is "
        "{limit} licenses and {in_use} are in use."
    ),
    "move_over_pool": _(
        "The license key has no room for this server's {computers} computers: the "
        "subscription's shared pool has {vacant} licenses left."
    ),
}

ERROR_FIELDS: dict[str, str] = {
    "move_same_key": "license_key",
    "move_key_unavailable": "license_key",
    "move_other_product": "license_key",
    "move_offline_not_allowed": "license_key",
    "move_key_in_use": "license_key",
    "move_over_quota": "license_key",
    "move_over_pool": "license_key",
}

ERROR_STATUSES: dict[str, int] = {
    "already_blacklisted": 409,
    "not_blacklisted": 409,
    "move_not_active": 409,
    "move_key_in_use": 409,
    "move_changed": 409,
}


class ProxyError(DomainError):
    """A blacklist or move was refused; nothing was changed."""

    messages: ClassVar[dict[str, str]] = ERROR_MESSAGES
    fields: ClassVar[dict[str, str]] = ERROR_FIELDS
    statuses: ClassVar[dict[str, int]] = ERROR_STATUSES
