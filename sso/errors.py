"""The message catalog of the SSO services (see core.errors.DomainError)."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class SsoError(DomainError):
    messages: ClassVar[dict[str, str]] = {
        "not_business": _("This is not a business account."),
        "not_admin": _("Only an Account Administrator of this business account can do this."),
        "domain_invalid": _("Enter a domain name such as example.com."),
        "domain_exists": _("{domain} is already on this business account."),
        "domain_taken": _("{domain} is verified by another business account."),
        "domain_not_found": _("This domain is not on this business account."),
        "domain_already_verified": _("{domain} is already verified."),
        "record_missing": _(
            "The TXT record {record} was not found at {domain}. Publish it, wait for DNS to "
            "update (this can take an hour), then verify again."
        ),
        "dns_unavailable": _(
            "The DNS servers of {domain} did not answer. Nothing was changed: try again later."
        ),
        "issuer_invalid": _("Enter the issuer URL of your identity provider (https://...)."),
        "discovery_failed": _(
            "The identity provider's discovery document could not be read at {url}: {reason}"
        ),
        "client_id_required": _("Enter the client ID the identity provider gave you."),
        "client_secret_required": _("Enter the client secret the identity provider gave you."),
        "roles_required": _("Enter the claim and the group name."),
        "no_idp": _("Connect an identity provider first."),
        "no_verified_domain": _("Verify at least one domain first."),
        "break_glass_invalid": _(
            "The break-glass administrator must be an active Account Administrator of this "
            "business account."
        ),
        "sso_required": _(
            "Your company requires you to sign in with single sign-on. Use Continue with SSO."
        ),
        "sso_domain_not_verified": _(
            "Your identity provider signed you in with an address whose domain this business "
            "account has not verified. Ask an Account Administrator of your company."
        ),
        "sso_member_blocked": _(
            "Your membership of {account} is blocked. Ask an Account Administrator to unblock it."
        ),
        "scim_domain_not_verified": _(
            "userName must be an address of a domain this business account has verified."
        ),
        "scim_user_exists": _("{email} is already a member of this business account."),
        "scim_group_exists": _("A group named {name} already exists in this business account."),
        "scim_admin_group_fixed": _(
            "{name} is the administrators' group chosen on the Single Sign-On page: it cannot "
            "be renamed or deleted through SCIM."
        ),
        "scim_member_unknown": _("{value} is not a user of this business account."),
        "scim_token_creator_demote": _(
            "{email} created the SCIM token, which acts with their rights, and stays an "
            "Account Administrator. Create a new token as another Account Administrator first."
        ),
        "sso_unknown_domain": _(
            "No business account signs in with single sign-on for this e-mail domain."
        ),
    }
    fields: ClassVar[dict[str, str]] = {
        "domain_invalid": "domain",
        "domain_exists": "domain",
        "domain_taken": "domain",
        "issuer_invalid": "issuer",
        "discovery_failed": "issuer",
        "break_glass_invalid": "break_glass",
        "client_id_required": "client_id",
        "client_secret_required": "client_secret",
        "roles_required": "admin_group",
        "sso_domain_not_verified": _(
            "Your identity provider signed you in with an address whose domain this business "
            "account has not verified. Ask an Account Administrator of your company."
        ),
        "sso_member_blocked": _(
            "Your membership of {account} is blocked. Ask an Account Administrator to unblock it."
        ),
        "scim_domain_not_verified": _(
            "userName must be an address of a domain this business account has verified."
        ),
        "scim_user_exists": _("{email} is already a member of this business account."),
        "sso_unknown_domain": "email",
    }
    statuses: ClassVar[dict[str, int]] = {
        "not_admin": 403,
        "domain_not_found": 404,
        "domain_exists": 409,
        "domain_taken": 409,
        "scim_user_exists": 409,
        "scim_group_exists": 409,
    }
