"""Writes of single sign-on: verified domains (slice 1), the identity provider, roles
and enforcement. Keyword-only and atomic; each re-checks the actor under the account's
row lock, records an audit entry, and talks to the network (DNS, discovery) before its
transaction opens, never inside it."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Account, AuditLog, User
from accounts.services import audit_log_record, is_account_admin
from sso import emails
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
        return SsoDomain.objects.select_for_update().get(pk=domain_id, account=account)
    except SsoDomain.DoesNotExist:
        raise SsoError("domain_not_found") from None


def _verified_elsewhere(*, account: Account, domain: str) -> bool:
    return (
        SsoDomain.objects.annotate(name=Lower("domain"))
        .filter(name=domain, verified_at__isnull=False)
        .exclude(account=account)
        .exists()
    )


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
        Account.objects.select_for_update().filter(pk=domain.account_id).first()
        locked = SsoDomain.objects.select_for_update().filter(pk=domain_id).first()
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
    config, _ = SsoConfig.objects.select_for_update().get_or_create(account=account)
    return config
