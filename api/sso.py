"""A business account's single sign-on over the REST API, read-only: its configuration
and its e-mail domains, for Account Administrators (as the Single Sign-On page). Never
the client secret or the SCIM token, which the page shows once and the portal keeps as
a hash."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account
from api.access import ApiView
from api.errors import error_responses
from sso import selectors
from sso.models import SsoConfig, SsoDomain
from sso.saml import SAML_PROVIDER, saml_acs_url, saml_entity_id
from sso.services import OIDC_PROVIDER, sso_provider_id

TAGS = ["Single sign-on"]
READ = error_responses(401, 403, 404)
# The identity provider protocols, by allauth provider of the account's app.
PROTOCOLS = {OIDC_PROVIDER: "oidc", SAML_PROVIDER: "saml"}


class SsoConfigOutSerializer(serializers.Serializer):
    protocol = serializers.ChoiceField(
        choices=sorted(PROTOCOLS.values()),
        allow_null=True,
        help_text="The identity provider's protocol; null until one is connected.",
    )
    issuer = serializers.CharField(
        allow_null=True, help_text="OpenID Connect: the issuer URL (discovery document's base)."
    )
    client_id = serializers.CharField(
        allow_null=True, help_text="OpenID Connect: the client id at the identity provider."
    )
    redirect_uri = serializers.CharField(
        help_text="OpenID Connect: what the identity provider sends people back to."
    )
    idp_entity_id = serializers.CharField(
        allow_null=True, help_text="SAML 2.0: the identity provider's entity id."
    )
    idp_metadata_url = serializers.CharField(
        allow_null=True,
        help_text="SAML 2.0: where the IdP's metadata was read; blank when it was pasted.",
    )
    entity_id = serializers.CharField(
        help_text="SAML 2.0: the portal's entity id (also its metadata's address)."
    )
    acs_url = serializers.CharField(
        help_text="SAML 2.0: where the IdP posts its responses (Assertion Consumer Service)."
    )
    admin_claim = serializers.CharField(help_text="The claim that carries groups.")
    admin_group = serializers.CharField(
        help_text="Members of this group sign in as Account Administrators; blank: none."
    )
    require_sso = serializers.BooleanField(
        help_text="People of the verified domains sign in with SSO only."
    )
    break_glass = serializers.EmailField(
        allow_null=True,
        help_text="The one Account Administrator who may still sign in with a password.",
    )
    scim_token_created_at = serializers.DateTimeField(
        allow_null=True, help_text="When the SCIM token in use was created; null: none."
    )
    updated_at = serializers.DateTimeField(allow_null=True)


class SsoDomainOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="domain")
    status = serializers.ChoiceField(choices=["verified", "pending"])
    verified_at = serializers.DateTimeField(allow_null=True)
    last_checked = serializers.DateTimeField(
        allow_null=True, help_text="When Verify or the daily re-check last read its records."
    )
    txt_record = serializers.CharField(
        help_text="The TXT record to publish at the domain, `myaccount-verification=<token>`."
    )


class SsoDomainListSerializer(serializers.Serializer):
    results = SsoDomainOutSerializer(many=True)


def _config_data(config: SsoConfig, account: Account) -> dict:
    app = config.social_app
    protocol = PROTOCOLS.get(app.provider) if app else None
    return {
        "protocol": protocol,
        "issuer": app.settings.get("server_url") if protocol == "oidc" else None,
        "client_id": app.client_id if protocol == "oidc" else None,
        "redirect_uri": settings.SITE_URL
        + reverse("openid_connect_callback", kwargs={"provider_id": sso_provider_id(account)}),
        "idp_entity_id": app.settings["idp"]["entity_id"] if protocol == "saml" else None,
        "idp_metadata_url": app.settings.get("metadata_url") if protocol == "saml" else None,
        "entity_id": saml_entity_id(account),
        "acs_url": saml_acs_url(account),
        "admin_claim": config.admin_claim,
        "admin_group": config.admin_group,
        "require_sso": config.require_sso,
        "break_glass": config.break_glass.email if config.break_glass else None,
        "scim_token_created_at": config.scim_token_created_at if config.scim_token_hash else None,
        "updated_at": config.updated_at,
    }


def _domain_data(domain: SsoDomain) -> dict:
    return {
        "id": domain.pk,
        "domain": domain.domain,
        "status": "verified" if domain.is_verified else "pending",
        "verified_at": domain.verified_at,
        "last_checked": domain.last_checked,
        "txt_record": domain.txt_record,
    }


class SsoConfigView(ApiView):
    admin_only = True

    @extend_schema(
        operation_id="sso_retrieve",
        tags=TAGS,
        summary="The single sign-on configuration",
        description="The identity provider, roles and Require SSO, as on Business Profile → "
        "Single Sign-On. Never the client secret or the SCIM token. Account Administrators "
        "only.",
        responses={200: SsoConfigOutSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        config = selectors.sso_config_get(self.account)
        return Response(SsoConfigOutSerializer(_config_data(config, self.account)).data)


class SsoDomainListView(ApiView):
    admin_only = True

    @extend_schema(
        operation_id="sso_domains_list",
        tags=TAGS,
        summary="The single sign-on e-mail domains",
        description="Every domain the account claimed, verified or pending, by name, with "
        "the TXT record that verifies it. Account Administrators only.",
        responses={200: SsoDomainListSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        domains = selectors.sso_domain_list(account=self.account)
        return Response(
            {"results": SsoDomainOutSerializer([_domain_data(d) for d in domains], many=True).data}
        )
