"""The demo company's Single Sign-On: its e-mail domain is verified (step 1 green) and,
when `make run` starts its demo identity provider (demo_idp/, `--idp-url`), that IdP is
connected (step 2), Account Administrators are its group "MyAccount Admins" (step 3)
and Require SSO is on with the demo user as break-glass administrator (step 4). The
IdP's person, sam.sso@mycompany.example (the demo password), signs in with Continue
with SSO and joins the company just in time. A SCIM token exists (step 5) and the IdP
provisioned Riley through it, with a group it pushed ("Field Engineers").

Idempotent: `make run` calls it on each start. The domain is a reserved .example name
with no real TXT record, so it is seeded as verified (no DNS is asked here; the daily
re-check un-verifies it and the next start verifies it again). The IdP is seeded here
too, not through the services: it starts after the demo data, which write the file it
reads (`--idp-seed-file`): its users and the portal as its client, with a new secret
at each start.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib.sites.models import Site
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from sso.models import ScimGroup, SsoConfig, SsoDomain
from sso.scim_services import scim_group_save, scim_user_provision
from sso.services import OIDC_PROVIDER, sso_provider_id, sso_scim_token_rotate

DOMAIN = "mycompany.example"
IDP_CLIENT_ID = "myaccount-demo"
IDP_ADMINS = "MyAccount Admins"
IDP_PERSON = {"email": f"sam.sso@{DOMAIN}", "first_name": "Sam", "last_name": "Sato"}
SCIM_PERSON = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": f"riley.scim@{DOMAIN}",
    "externalId": "okta-00u-riley",
    "name": {"givenName": "Riley", "familyName": "Reyes"},
    "emails": [{"value": f"riley.scim@{DOMAIN}", "primary": True, "type": "work"}],
    "active": True,
}
SCIM_GROUP = "Field Engineers"


def seed(context: dict) -> None:
    company = context.get("company")
    if company is None:
        return
    now = timezone.now()
    # Free the name if an earlier demo gave it to another account.
    SsoDomain.objects.filter(domain=DOMAIN).exclude(account=company).delete()
    SsoDomain.objects.update_or_create(
        account=company,
        domain=DOMAIN,
        defaults={"verified_at": now, "last_checked": now},
        create_defaults={
            "token": secrets.token_urlsafe(24),
            "verified_at": now,
            "last_checked": now,
        },
    )
    if context.get("idp_url"):
        _idp_connect(context, company=company, now=now)
    if context.get("demo_user") is not None:
        _scim_provision(company=company, admin=context["demo_user"])


def _scim_provision(*, company, admin) -> None:
    """Step 5 done: a SCIM token exists (created once; its value is shown only when
    created, so an administrator rotates it to connect an IdP), the IdP provisioned
    Riley through it and pushed a group "Field Engineers" with Riley in it, as Okta
    does."""
    if not SsoConfig.objects.filter(account=company, scim_token_hash__isnull=False).exists():
        sso_scim_token_rotate(account=company, actor=admin)
    if not Membership.objects.filter(account=company, user__email=SCIM_PERSON["userName"]).exists():
        scim_user_provision(
            account=company,
            user_name=SCIM_PERSON["userName"],
            first_name=SCIM_PERSON["name"]["givenName"],
            last_name=SCIM_PERSON["name"]["familyName"],
            active=True,
            document=SCIM_PERSON,
        )
    if not ScimGroup.objects.filter(account=company, display_name=SCIM_GROUP).exists():
        riley = Membership.objects.get(account=company, user__email=SCIM_PERSON["userName"])
        scim_group_save(
            account=company,
            group=None,
            display_name=SCIM_GROUP,
            document={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": SCIM_GROUP,
                "externalId": "okta-00g-field",
                "members": [{"value": str(riley.pk)}],
            },
        )


def _idp_connect(context: dict, *, company, now) -> None:
    issuer = context["idp_url"].rstrip("/")
    secret = secrets.token_urlsafe(24)
    provider_id = sso_provider_id(company)
    app = SocialApp.objects.filter(provider=OIDC_PROVIDER, provider_id=provider_id).first()
    app = app or SocialApp(provider=OIDC_PROVIDER, provider_id=provider_id)
    app.name = company.name[:40]
    app.client_id = IDP_CLIENT_ID
    app.secret = secret
    app.settings = {"server_url": issuer, "hidden": True}
    app.save()
    app.sites.add(Site.objects.get_current())
    SsoConfig.objects.update_or_create(
        account=company,
        defaults={
            "social_app": app,
            "admin_claim": "groups",
            "admin_group": IDP_ADMINS,
            "roles_saved_at": now,
            "require_sso": True,
            "break_glass": context.get("demo_user"),
        },
    )
    redirect_uri = settings.SITE_URL + reverse(
        "openid_connect_callback", kwargs={"provider_id": provider_id}
    )
    idp_seed = {
        "users": [{**IDP_PERSON, "password": context["password"]}],
        "clients": [{"id": IDP_CLIENT_ID, "secret": secret, "redirect_uris": [redirect_uri]}],
    }
    if context.get("idp_seed_file"):
        Path(context["idp_seed_file"]).write_text(json.dumps(idp_seed))
