"""SAML 2.0 identity providers of business accounts. allauth's `saml` provider (on
python3-saml) runs the protocol; this module reads the IdP's metadata once, when the
administrator saves it, and keeps it with the account's one allauth SocialApp
(provider_id and client_id `sso-<account id>`, so its endpoints are
/accounts/saml/sso-<account id>/acs/ and .../metadata/).

What a response must be to be accepted is said here, in the app's settings: signed
(the whole response and its assertion), for this portal (audience), in time, answering
a sign-in the portal started (unsolicited responses are refused) and strict."""

from __future__ import annotations

import requests
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from accounts.models import Account, AuditLog, User
from sso.errors import SsoError
from sso.models import SsoConfig
from sso.services import (
    _lock_admin,
    https_url_normalize,
    sso_app_attach,
    sso_config_for_update,
    sso_provider_id,
)

SAML_PROVIDER = "saml"

# Where allauth looks for each field in the assertion's attributes: the OIDs and claim
# URIs of the SAML profiles, then the plain names Keycloak and Okta send by default.
# With no e-mail attribute, a NameID of the emailAddress format is the address.
ATTRIBUTE_MAPPING = {
    "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "email",
        "mail",
    ],
    "first_name": [
        "urn:oid:2.5.4.42",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "firstName",
        "givenName",
    ],
    "last_name": [
        "urn:oid:2.5.4.4",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "lastName",
        "sn",
    ],
}

# python3-saml's security settings, as allauth names them.
SECURITY = {
    "strict": True,
    "want_assertion_signed": True,
    "want_message_signed": True,
    "reject_idp_initiated_sso": True,
    "reject_deprecated_algorithm": True,
    "want_attribute_statement": False,
    # python3-saml's check of the portal's own URLs: an intranet host or `localhost` is fine.
    "allow_single_label_domains": True,
}


def saml_entity_id(account: Account) -> str:
    """The portal's entity id for this account's IdP: the address of its metadata."""
    return saml_metadata_url(account)


def saml_metadata_url(account: Account) -> str:
    return settings.SITE_URL + reverse(
        "saml_metadata", kwargs={"organization_slug": sso_provider_id(account)}
    )


def saml_acs_url(account: Account) -> str:
    """Where the IdP posts its responses (the Assertion Consumer Service, HTTP-POST)."""
    return settings.SITE_URL + reverse(
        "saml_acs", kwargs={"organization_slug": sso_provider_id(account)}
    )


def saml_metadata_fetch(url: str) -> str:
    """The IdP's metadata document at `url` (https, or http on loopback)."""
    url = https_url_normalize(url, error="saml_metadata_url_invalid")
    try:
        response = requests.get(url, timeout=settings.SSO_HTTP_TIMEOUT, allow_redirects=False)
        response.raise_for_status()
    except requests.RequestException as error:
        raise SsoError("saml_metadata_unreachable", url=url, reason=type(error).__name__) from None
    return response.text


def saml_metadata_parse(document: str) -> dict:
    """The IdP's entity id, single sign-on URL (HTTP-Redirect) and signing certificate,
    read from its metadata by python3-saml. SsoError("saml_metadata_invalid") for XML
    that is not an IdP's metadata with those three."""
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(document.encode())
    except Exception:  # malformed XML, a DTD, or no IdP in it: python3-saml says which
        raise SsoError("saml_metadata_invalid") from None
    idp = parsed.get("idp") or {}
    cert = idp.get("x509cert") or next(
        iter((idp.get("x509certMulti") or {}).get("signing") or []), None
    )
    sso_url = (idp.get("singleSignOnService") or {}).get("url")
    if not idp.get("entityId") or not sso_url or not cert:
        raise SsoError("saml_metadata_invalid")
    https_url_normalize(sso_url, error="saml_metadata_invalid")
    return {"entity_id": idp["entityId"], "sso_url": sso_url, "x509cert": cert}


def sso_saml_idp_save(
    *,
    account: Account,
    actor: User,
    metadata_url: str = "",
    metadata_xml: str = "",
    channel: str = AuditLog.Channel.WEB,
) -> SsoConfig:
    """Connect (or change) the account's SAML 2.0 identity provider from its metadata (a
    URL the portal reads now, or the XML pasted). The account's one SocialApp becomes
    allauth's `saml` app; an OpenID Connect provider saved before is replaced."""
    metadata_url = (metadata_url or "").strip()
    metadata_xml = (metadata_xml or "").strip()
    if bool(metadata_url) == bool(metadata_xml):
        raise SsoError("saml_metadata_required")
    if metadata_url:
        metadata_url = https_url_normalize(metadata_url, error="saml_metadata_url_invalid")
        metadata_xml = saml_metadata_fetch(metadata_url)  # the network, before the transaction
    idp = saml_metadata_parse(metadata_xml)
    with transaction.atomic():
        _lock_admin(account=account, actor=actor)
        config = sso_config_for_update(account)
        app = config.social_app or SocialApp(provider_id=sso_provider_id(account))
        app.provider = SAML_PROVIDER
        app.name = account.name[:40]
        # allauth finds a SAML app by its client_id, the "organization" of its URLs.
        app.client_id = sso_provider_id(account)
        app.secret = ""
        app.settings = {
            "hidden": True,
            "metadata_url": metadata_url,
            "idp": idp,
            "sp": {"entity_id": saml_entity_id(account)},
            "attribute_mapping": ATTRIBUTE_MAPPING,
            "advanced": SECURITY,
        }
        sso_app_attach(
            config=config,
            app=app,
            actor=actor,
            channel=channel,
            label=idp["entity_id"],
            data={"protocol": "saml", "entity_id": idp["entity_id"], "metadata_url": metadata_url},
        )
    return config


def saml_claims(sociallogin: SocialLogin) -> dict:
    """A SAML sign-in as the claims the SSO rules read: the assertion's attributes (each
    a list of values, so `groups` is the list of groups) and the address allauth read
    from it (an e-mail attribute, or a NameID of the emailAddress format)."""
    claims = dict(sociallogin.account.extra_data or {})
    addresses = sociallogin.email_addresses
    primary = next((a for a in addresses if a.primary), addresses[0] if addresses else None)
    claims["email"] = primary.email if primary is not None else ""
    return claims
