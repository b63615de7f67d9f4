"""The message catalog of subscriptions and license keys (pretix's error_messages), for
core.errors.DomainError: pages map it to form errors, the API to HTTP 400/403
responses; the wording lives here only.

The messages are lazy translations: DomainError formats one when it is raised, in the
language of the request that caused it."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

ERROR_MESSAGES: dict[str, str] = {
    # Register Key. An already registered key gets the same answer whichever account
    # holds it: the portal never tells who owns a key.
    "key_malformed": _(
        "This is not a valid license key. It has 25 letters and digits, like "
        "ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2."
    ),
    "key_unknown": _("We could not find this license key. Check it and try again."),
    "key_registered": _("This license key is already registered."),
    "key_expired": _("This license key has expired. Contact the Sales team to renew it."),
    "key_sublicense": _(
        "This is a sublicense key. Register the primary license key that came with "
        "your subscription instead."
    ),
    "register_rate_limited": _(
        "Too many attempts to register a key. Please wait a few minutes and try again."
    ),
    "account_not_business": _("License keys can be registered to a business account only."),
    # Sublicenses
    "subscription_expired": _("This subscription has expired."),
    "primary_key_readonly": _("The primary license key cannot be modified or deleted."),
    "license_key_deleted": _("This license key has been deleted."),
    "license_key_name_required": _("Give the license key a name."),
    "sublicense_type_invalid": _("Choose Reserved or Dynamic."),
    "quota_too_small": _("The quota must be at least 1."),
    "quota_reserved_exceeded": _(
        "Reserved quotas together cannot exceed the subscription's licenses: "
        "{available} out of {licenses} are available."
    ),
    "quota_dynamic_exceeded": _("A quota cannot exceed the subscription's {licenses} licenses."),
    "expiration_date_required": _("Enter an expiration date or select Renew with Subscription."),
    "expiration_after_subscription": _(
        "The expiration date cannot be later than the subscription's end ({ends_on})."
    ),
    "expiration_in_past": _("The expiration date cannot be in the past."),
    # License Administrators
    "license_admin_not_member": _("Choose members of this business account."),
    "license_admin_is_account_admin": _(
        "An Account Administrator manages every license key already."
    ),
    "license_admin_blocked": _("A blocked member cannot administer a license key."),
    # Sales: the Django admin and manage.py issue_subscription only, which stay English.
    "licenses_too_small": "The number of licenses must be at least 1.",
    "period_invalid": "Give either a number of months (1 or more) or an end date.",
    "ends_before_start": "The end date cannot be before the start date ({starts_on}).",
    "renew_not_later": "The new end date must be later than the current one ({ends_on}).",
}

# Which form field an error belongs to; anything else is a non-field error.
ERROR_FIELDS: dict[str, str] = {
    "key_malformed": "key",
    "key_unknown": "key",
    "key_registered": "key",
    "key_expired": "key",
    "key_sublicense": "key",
    "sublicense_type_invalid": "type",
    "quota_too_small": "quota",
    "quota_reserved_exceeded": "quota",
    "quota_dynamic_exceeded": "quota",
    "expiration_date_required": "expires_on",
    "expiration_after_subscription": "expires_on",
    "expiration_in_past": "expires_on",
    "licenses_too_small": "licenses",
    "ends_before_start": "ends_on",
    "renew_not_later": "ends_on",
}


class SubscriptionError(DomainError):
    """A refused subscription or license key operation; nothing was changed."""

    messages: ClassVar[dict[str, str]] = ERROR_MESSAGES
    fields: ClassVar[dict[str, str]] = ERROR_FIELDS
    statuses: ClassVar[dict[str, int]] = {"register_rate_limited": 429}
