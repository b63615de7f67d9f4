"""Writes of single sign-on: verified domains (slice 1), the identity provider, roles
and enforcement. Keyword-only and atomic; each re-checks the actor under the account's
row lock, records an audit entry, and talks to the network (DNS, discovery) before its
transaction opens, never inside it."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from urllib.parse import urlsplit

import requests
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, AuditLog, Membership, User
from accounts.services import (
    audit_log_record,
    is_account_admin,
    membership_block,
    membership_change_save,
    membership_delete,
    membership_demotes_last_admin,
    membership_unblock,
    user_create,
)
from sso import emails, selectors
from sso.errors import SsoError
from sso.lookup import Found, txt_record_published
from sso.models import SsoConfig, SsoDomain

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def domain_normalize(value: str) -> str:
    """`Example.COM.` -> `example.com`; an internationalised name in its ASCII (IDNA)
    form. Raises SsoError("domain_invalid") for anything that is not a domain name."""
    value = (value or "").strip().lower().rstrip(".")
    if value.startswith("@"):
        value = value[1:]
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise SsoError("domain_invalid") from None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        raise SsoError("domain_invalid")
    if labels[-1].isdigit():
        raise SsoError("domain_invalid")  # an IP address, not a domain
    return value


def _lock_admin(*, account: Account, actor: User) -> Account:
    """Lock the account row and re-read the actor's role under it."""
    if not account.is_business:
        raise SsoError("not_business")
    if not is_account_admin(user=actor, account=account, lock=True):
        raise SsoError("not_admin")
    return account


def _lock_domain(*, account: Account, domain_id: int) -> SsoDomain:
    try:
        return SsoDomain.objects.select_for_update(no_key=True).get(pk=domain_id, account=account)
    except SsoDomain.DoesNotExist:
        raise SsoError("domain_not_found") from None


def _verified_elsewhere(*, account: Account, domain: str) -> bool:
    owner = selectors.sso_domain_owner(domain)
    return owner is not None and owner.account_id != account.pk


def sso_domain_add(
    *, account: Account, actor: User, domain: str, channel: str = AuditLog.Channel.WEB
) -> SsoDomain:
    """Claim an e-mail domain; it counts once Verify finds its TXT record."""
    name = domain_normalize(domain)
    with transaction.atomic():
        _lock_admin(account=account, actor=actor)
        if SsoDomain.objects.filter(account=account, domain=name).exists():
            raise SsoError("domain_exists", domain=name)
        if _verified_elsewhere(account=account, domain=name):
            raise SsoError("domain_taken", domain=name)
        claimed = SsoDomain.objects.create(
            account=account, domain=name, token=secrets.token_urlsafe(24)
        )
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="sso_domain.added",
            target=claimed,
        )
    return claimed


def sso_domain_verify(
    *,
    account: Account,
    actor: User,
    domain_id: int,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> SsoDomain:
    """Look the domain's TXT record up and, when it is there, make the domain this
    account's. A domain another account verified stays theirs (a DB constraint decides
    a race between two)."""
    try:
        claimed = SsoDomain.objects.get(pk=domain_id, account=account)
    except SsoDomain.DoesNotExist:
        raise SsoError("domain_not_found") from None
    if claimed.is_verified:
        raise SsoError("domain_already_verified", domain=claimed.domain)
    # The network first, outside any transaction.
    found = txt_record_published(claimed.domain, claimed.txt_record)
    if found is Found.UNKNOWN:
        raise SsoError("dns_unavailable", domain=claimed.domain)
    if found is Found.NO:
        raise SsoError("record_missing", domain=claimed.domain, record=claimed.txt_record)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            _lock_admin(account=account, actor=actor)
            locked = _lock_domain(account=account, domain_id=domain_id)
            if locked.is_verified:
                raise SsoError("domain_already_verified", domain=locked.domain)
            if _verified_elsewhere(account=account, domain=locked.domain):
                raise SsoError("domain_taken", domain=locked.domain)
            locked.verified_at = now
            locked.last_checked = now
            locked.save(update_fields=["verified_at", "last_checked"])
            audit_log_record(
                account=account,
                actor=actor,
                channel=channel,
                action="sso_domain.verified",
                target=locked,
            )
    except IntegrityError:
        # Another account verified it between our check and our write.
        raise SsoError("domain_taken", domain=claimed.domain) from None
    return locked


def sso_domain_remove(
    *, account: Account, actor: User, domain_id: int, channel: str = AuditLog.Channel.WEB
) -> None:
    """Give a domain up: its addresses no longer sign in through this account's IdP."""
    with transaction.atomic():
        _lock_admin(account=account, actor=actor)
        locked = _lock_domain(account=account, domain_id=domain_id)
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="sso_domain.removed",
            target=locked,
            data={"verified": locked.is_verified},
        )
        locked.delete()


def sso_domain_recheck(*, domain_id: int, now: datetime | None = None) -> bool | None:
    """The daily check of one verified domain: still published, it stays verified (True);
    gone, it stops routing sign-ins and the administrators are e-mailed (False). A DNS
    server that does not answer changes nothing (None), nor does a domain removed or
    re-checked meanwhile: running it twice does no harm."""
    domain = SsoDomain.objects.filter(pk=domain_id, verified_at__isnull=False).first()
    if domain is None:
        return None
    found = txt_record_published(domain.domain, domain.txt_record)
    if found is Found.UNKNOWN:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        Account.objects.select_for_update(no_key=True).filter(pk=domain.account_id).first()
        locked = SsoDomain.objects.select_for_update(no_key=True).filter(pk=domain_id).first()
        if locked is None or not locked.is_verified or locked.token != domain.token:
            return None
        locked.last_checked = now
        if found is Found.YES:
            locked.save(update_fields=["last_checked"])
            return True
        locked.verified_at = None
        locked.save(update_fields=["verified_at", "last_checked"])
        audit_log_record(
            account=locked.account,
            channel=AuditLog.Channel.SYSTEM,
            action="sso_domain.lost",
            target=locked,
        )
        emails.domain_lost_email(account=locked.account, domain=locked.domain)
    return False


def sso_config_for_update(account: Account) -> SsoConfig:
    """The account's SSO configuration, row-locked, made on first use (caller holds the
    account lock, so two first uses cannot both create it)."""
    config, _ = SsoConfig.objects.select_for_update(no_key=True).get_or_create(account=account)
    return config


# --- Step 2: the identity provider (OpenID Connect) -----------------------------------

OIDC_PROVIDER = "openid_connect"
_DISCOVERY_KEYS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


def sso_provider_id(account: Account) -> str:
    """The allauth provider_id of an account's app: its login URL is
    /accounts/oidc/<provider_id>/login/ and its callback .../login/callback/."""
    return f"sso-{account.pk}"


def https_url_normalize(value: str, *, error: str, query: bool = True) -> str:
    """A URL of an identity provider: https, or http on loopback only (a development
    IdP). SsoError(error) for anything else."""
    value = (value or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise SsoError(error) from None
    parts = urlsplit(value)
    if parts.scheme == "http" and parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SsoError(error)
    if parts.fragment or (parts.query and not query):
        raise SsoError(error)
    return value


def issuer_normalize(value: str) -> str:
    """An issuer URL, without a query or a trailing slash."""
    return https_url_normalize(
        (value or "").strip().rstrip("/"), error="issuer_invalid", query=False
    )


def oidc_discover(issuer: str) -> dict:
    """Read the IdP's discovery document (OpenID Connect Discovery 1.0) and check that it
    is the issuer's and names the endpoints allauth needs."""
    url = issuer + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.SSO_HTTP_TIMEOUT, allow_redirects=False)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SsoError("discovery_failed", url=url, reason=type(error).__name__) from None
    if not isinstance(document, dict) or any(
        not isinstance(document.get(key), str) for key in _DISCOVERY_KEYS
    ):
        raise SsoError("discovery_failed", url=url, reason="incomplete document")
    if document["issuer"].rstrip("/") != issuer:
        raise SsoError("discovery_failed", url=url, reason=f"issuer {document['issuer']}")
    return document


def sso_app_attach(
    *, config: SsoConfig, app: SocialApp, actor: User, channel: str, label: str, data: dict
) -> None:
    """Save the account's allauth app (OpenID Connect or SAML) on this site, make it the
    configuration's identity provider and audit it; the caller holds the account lock."""
    app.save()
    app.sites.add(Site.objects.get_current())
    config.social_app = app
    config.save(update_fields=["social_app", "updated_at"])
    audit_log_record(
        account=config.account,
        actor=actor,
        channel=channel,
        action="sso.idp_saved",
        target=config,
        target_label=label,
        data=data,
    )


def sso_idp_save(
    *,
    account: Account,
    actor: User,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    channel: str = AuditLog.Channel.WEB,
) -> SsoConfig:
    """Connect (or change) the account's OpenID Connect identity provider: an allauth
    SocialApp of the openid_connect provider, one per business account, hidden from the
    sign-in page's social buttons. A blank secret keeps the one saved."""
    issuer = issuer_normalize(issuer)
    client_id = (client_id or "").strip()
    if not client_id:
        raise SsoError("client_id_required")
    oidc_discover(issuer)  # the network, before the transaction
    with transaction.atomic():
        _lock_admin(account=account, actor=actor)
        config = sso_config_for_update(account)
        app = config.social_app
        # A first connection, or one replacing a SAML provider, has no secret to keep.
        if (app is None or app.provider != OIDC_PROVIDER) and not client_secret:
            raise SsoError("client_secret_required")
        if app is None:
            app = SocialApp(provider_id=sso_provider_id(account))
        app.provider = OIDC_PROVIDER
        app.name = account.name[:40]
        app.client_id = client_id
        if client_secret:
            app.secret = client_secret
        app.settings = {"server_url": issuer, "hidden": True}
        sso_app_attach(
            config=config,
            app=app,
            actor=actor,
            channel=channel,
            label=issuer,
            data={
                "protocol": "oidc",
                "issuer": issuer,
                "client_id": client_id,
                "secret_changed": bool(client_secret),
            },
        )
    return config


# --- Step 3: roles --------------------------------------------------------------------


def sso_roles_save(
    *,
    account: Account,
    actor: User,
    admin_claim: str,
    admin_group: str,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> SsoConfig:
    """Name the claim and the group whose members sign in as Account Administrators."""
    admin_claim = (admin_claim or "").strip()
    admin_group = (admin_group or "").strip()
    if not admin_claim or not admin_group:
        raise SsoError("roles_required")
    with transaction.atomic():
        _lock_admin(account=account, actor=actor)
        config = sso_config_for_update(account)
        config.admin_claim = admin_claim
        config.admin_group = admin_group
        config.roles_saved_at = now or timezone.now()
        config.save(update_fields=["admin_claim", "admin_group", "roles_saved_at", "updated_at"])
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="sso.roles_saved",
            target=config,
            target_label=admin_group,
            data={"claim": admin_claim, "group": admin_group},
        )
    return config


# --- Sign-in with SSO -----------------------------------------------------------------


def sso_claims_email(claims: dict) -> str:
    email = claims.get("email")
    return email.strip().lower() if isinstance(email, str) and "@" in email else ""


def sso_claims_is_admin(*, config: SsoConfig, claims: dict) -> bool:
    """Whether the IdP says this person is in the administrators' group."""
    if not config.admin_group:
        return False
    value = claims.get(config.admin_claim)
    if isinstance(value, str):
        value = [value]
    return isinstance(value, list) and config.admin_group in value


def sso_sign_in_check(*, config: SsoConfig, claims: dict) -> SsoDomain:
    """The rule of an SSO sign-in: the IdP asserted an address whose domain this very
    account has verified. Anything else is refused (SsoError), whoever the IdP is."""
    verified = selectors.sso_domain_of(sso_claims_email(claims))
    if verified is None or verified.account_id != config.account_id:
        raise SsoError("sso_domain_not_verified")
    return verified


def _member_join(
    *, account: Account, user: User, role: str, via: str, actor: User | None, channel: str
) -> Membership:
    """A person joins the account through the IdP (sign-in or SCIM); caller holds the lock."""
    membership = Membership.objects.create(
        account=account, user=user, role=role, status=Membership.Status.ACTIVE
    )
    audit_log_record(
        account=account,
        actor=actor,
        channel=channel,
        action="membership.created",
        target=membership,
        target_label=user.email,
        data={"role": role, "via": via},
    )
    return membership


def sso_membership_sync(
    *, config: SsoConfig, user: User, claims: dict, channel: str = AuditLog.Channel.WEB
) -> Membership:
    """At each SSO sign-in: the person joins the account (just in time) or keeps their
    place, with the role the IdP's group gives. A blocked member stays blocked, and the
    last active administrator is never demoted by a missing group."""
    admin = sso_claims_is_admin(config=config, claims=claims)
    role = Membership.Role.ADMIN if admin else Membership.Role.MEMBER
    with transaction.atomic():
        account = Account.objects.select_for_update(no_key=True).get(pk=config.account_id)
        membership = (
            Membership.objects.select_for_update(no_key=True)
            .filter(account=account, user=user)
            .first()
        )
        if membership is None:
            return _member_join(
                account=account, user=user, role=role, via="sso", actor=user, channel=channel
            )
        if not membership.is_active:
            raise SsoError("sso_member_blocked", account=account.name)
        if not membership_demotes_last_admin(account=account, membership=membership, role=role):
            membership_change_save(
                account=account,
                membership=membership,
                actor=user,
                role=role,
                notes=membership.notes,
                channel=channel,
                via="sso",
            )
    return membership


# --- Step 4: enforcement --------------------------------------------------------------


def sso_enforcement_save(
    *,
    account: Account,
    actor: User,
    require_sso: bool,
    break_glass: User | None,
    channel: str = AuditLog.Channel.WEB,
) -> SsoConfig:
    """Turn "Require SSO" on or off and name the one break-glass Account Administrator who
    may still sign in with a password. On needs a verified domain and a connected IdP;
    the administrators are e-mailed when it changes."""
    with transaction.atomic():
        _lock_admin(account=account, actor=actor)
        config = sso_config_for_update(account)
        if require_sso:
            if config.social_app_id is None:
                raise SsoError("no_idp")
            if not SsoDomain.objects.filter(account=account, verified_at__isnull=False).exists():
                raise SsoError("no_verified_domain")
        if break_glass is not None and not is_account_admin(user=break_glass, account=account):
            raise SsoError("break_glass_invalid")
        changed = config.require_sso != require_sso
        config.require_sso = require_sso
        config.break_glass = break_glass
        config.save(update_fields=["require_sso", "break_glass", "updated_at"])
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="sso.enforcement_on" if require_sso else "sso.enforcement_off",
            target=config,
            target_label=account.name,
            data={"break_glass": break_glass.email if break_glass else None},
        )
        if changed:
            emails.enforcement_email(account=account, on=require_sso, actor=actor)
    return config


def sso_sign_in_allowed(*, user: User, app_provider_id: str | None) -> bool:
    """The enforcement rule: may `user` sign in this way? `app_provider_id` is the allauth
    app of a social sign-in (None: a password). With "Require SSO" on for the user's
    domain, only the account's own SSO app admits them — and, with a password, the
    break-glass Account Administrator, whose sign-in is audited."""
    config = selectors.sso_enforcement_for(user.email)
    if config is None:
        return True
    if config.social_app is not None and app_provider_id == config.social_app.provider_id:
        return True
    if app_provider_id is None and config.break_glass_id == user.pk:
        with transaction.atomic():
            audit_log_record(
                account=config.account,
                actor=user,
                channel=AuditLog.Channel.WEB,
                action="sso.break_glass_sign_in",
                target=config,
                target_label=user.email,
            )
        return True
    return False


# --- SCIM 2.0 -------------------------------------------------------------------------

SCIM_TOKEN_PREFIX = "scim_"


def sso_scim_token_rotate(
    *, account: Account, actor: User, channel: str = AuditLog.Channel.WEB, now=None
) -> str:
    """Create the account's SCIM bearer token, or replace it (the old one stops at once).
    Returns the token: only its hash is kept, so it is shown this once."""
    token = SCIM_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        _lock_admin(account=account, actor=actor)
        config = sso_config_for_update(account)
        replaced = config.scim_token_hash is not None
        config.scim_token_hash = selectors.scim_token_hash(token)
        config.scim_token_created_at = now or timezone.now()
        config.scim_token_created_by = actor
        config.save(
            update_fields=[
                "scim_token_hash",
                "scim_token_created_at",
                "scim_token_created_by",
                "updated_at",
            ]
        )
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="sso.scim_token_rotated" if replaced else "sso.scim_token_created",
            target=config,
            target_label=account.name,
        )
    return token


def _scim_actor(account: Account) -> User:
    config = SsoConfig.objects.select_related("scim_token_created_by").get(account=account)
    if config.scim_token_created_by is None:
        raise SsoError("not_admin")
    return config.scim_token_created_by


def sso_scim_user_create(
    *, account: Account, user_name: str, first_name: str = "", last_name: str = ""
) -> Membership:
    """SCIM POST /Users: provision a person of one of the account's verified domains as a
    Regular Member (created with no password when new: they sign in with SSO)."""
    email = (user_name or "").strip().lower()
    verified = selectors.sso_domain_of(email)
    if verified is None or verified.account_id != account.pk:
        raise SsoError("scim_domain_not_verified")
    actor = _scim_actor(account)
    with transaction.atomic():
        _lock_admin(account=account, actor=actor)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = user_create(
                email=email,
                password=None,
                first_name=first_name[:150],
                last_name=last_name[:150],
                verified=True,
            )
        elif Membership.objects.filter(account=account, user=user).exists():
            raise SsoError("scim_user_exists", email=email)
        return _member_join(
            account=account,
            user=user,
            role=Membership.Role.MEMBER,
            via="scim",
            actor=actor,
            channel=AuditLog.Channel.API,
        )


def sso_scim_user_set_active(*, account: Account, membership: Membership, active: bool) -> None:
    """SCIM `active`: false blocks the membership at once (accounts' membership_block, with
    its rules), true unblocks it; the token's creator is the actor."""
    actor = _scim_actor(account)
    if active == membership.is_active:
        return
    change = membership_unblock if active else membership_block
    change(membership=membership, actor=actor, channel=AuditLog.Channel.API, via="scim")


def sso_scim_user_delete(*, account: Account, membership: Membership) -> None:
    """SCIM DELETE: the person leaves the account (accounts' membership_delete)."""
    membership_delete(
        membership=membership,
        actor=_scim_actor(account),
        channel=AuditLog.Channel.API,
        via="scim",
    )
