"""Reads of single sign-on: the configurator's steps, domains, and where an address
signs in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from allauth.socialaccount.models import SocialApp
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Membership
from sso.errors import SsoError
from sso.models import SsoConfig, SsoDomain


def sso_config_get(account: Account) -> SsoConfig:
    """The saved configuration, or an unsaved blank one (nothing configured yet)."""
    return SsoConfig.objects.filter(account=account).select_related(
        "social_app", "break_glass"
    ).first() or SsoConfig(account=account)


def sso_domain_list(*, account: Account) -> list[SsoDomain]:
    return list(SsoDomain.objects.filter(account=account).order_by("domain", "id"))


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    title: str
    done: bool
    current: bool


STEP_TITLES = {
    "domains": _("Verify your e-mail domains"),
    "idp": _("Connect your identity provider"),
    "roles": _("Choose who administers the account"),
    "enforce": _("Require single sign-on"),
}


def sso_steps(*, config: SsoConfig, domains: list[SsoDomain]) -> list[Step]:
    """The configurator's numbered steps, each done (green) or not (grey); the first not
    done is where it resumes."""
    done = {
        "domains": any(d.is_verified for d in domains),
        "idp": config.social_app_id is not None,
        "roles": config.roles_saved_at is not None,
        "enforce": config.require_sso,
    }
    current = next((key for key in STEP_TITLES if not done[key]), None)
    return [
        Step(number=n, key=key, title=str(title), done=done[key], current=key == current)
        for n, (key, title) in enumerate(STEP_TITLES.items(), start=1)
    ]


def sso_domain_owner(domain: str) -> SsoDomain | None:
    """The verified domain (with its account) that `domain` signs in through, if any."""
    return (
        SsoDomain.objects.annotate(name=Lower("domain"))
        .filter(name=domain.lower(), verified_at__isnull=False)
        .select_related("account")
        .first()
    )


def sso_domain_of(email: str) -> SsoDomain | None:
    """The verified domain (with its account) an address belongs to, if any: the one its
    part after the last "@" names, whatever its case. Sign-in, SCIM, Require SSO and
    deprovisioning all ask it here."""
    return sso_domain_owner(email.rpartition("@")[2]) if "@" in email else None


def sso_app_for_email(email: str) -> SocialApp:
    """The OpenID Connect app an address signs in through: that of the business account
    which verified its domain. SsoError when there is none."""
    domain = sso_domain_of(email)
    config = (
        SsoConfig.objects.filter(account_id=domain.account_id).select_related("social_app").first()
        if domain is not None
        else None
    )
    if config is None or config.social_app is None:
        raise SsoError("sso_unknown_domain")
    return config.social_app


def sso_enforcement_for(email: str) -> SsoConfig | None:
    """The configuration that requires SSO of this address: that of the business account
    which verified its domain and turned "Require SSO" on. None: the address may sign in
    any way the portal offers."""
    domain = sso_domain_of(email)
    if domain is None:
        return None
    return (
        SsoConfig.objects.filter(account_id=domain.account_id, require_sso=True)
        .select_related("account", "social_app")
        .first()
    )


def sso_password_reset_allowed(user) -> bool:
    """Whether `user` may reset a password: not when SSO is required of their address,
    unless they are the account's break-glass administrator."""
    config = sso_enforcement_for(user.email)
    return config is None or config.break_glass_id == user.pk


def sso_deprovisioned(user) -> bool:
    """Whether a person is deprovisioned: the business account that verified their
    e-mail domain requires SSO (sso_enforcement_for, the rule sign-in follows too), and
    they are not an active member of it — the IdP blocked them through SCIM, an
    administrator blocked or removed them, or they never came in through the IdP. Their
    identity is that account's: their sessions and API tokens stop (sso.backends,
    api.services), on every account, until the IdP or an administrator lets them in
    again. The break-glass administrator is an active Account Administrator, so it
    never applies to them.

    Asked of each signed-in request and API call, after the one query that loads the
    user: one short query when no account verified the address's domain (almost
    everyone), one or two more for the people of a verified domain. Cheaper than a
    subquery in the loading query, which the ORM takes about 3 ms to build on every
    request."""
    config = sso_enforcement_for(user.email)
    if config is None:
        return False
    return not Membership.objects.filter(
        account_id=config.account_id, user_id=user.pk, status=Membership.Status.ACTIVE
    ).exists()


def scim_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sso_scim_config(token: str) -> SsoConfig | None:
    """The SSO configuration (with its account) a SCIM bearer token belongs to (None: no
    such token): the account SCIM serves, and the administrators' group it names."""
    if not token:
        return None
    return (
        SsoConfig.objects.filter(scim_token_hash=scim_token_hash(token))
        .select_related("account")
        .first()
    )
