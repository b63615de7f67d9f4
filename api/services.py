"""Personal API tokens: create (the secret is returned once), authenticate, revoke."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AuditLog, Membership, User, membership_active_admin_q
from accounts.services import audit_log_record
from api.models import ApiToken
from core.errors import DomainError
from sso.selectors import sso_deprovisioned

PREFIX_LENGTH = 8
# last_used_at is written at most this often: not one UPDATE per API request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 20


class ApiTokenError(DomainError):
    messages: ClassVar[dict[str, str]] = {
        "not_admin": _(
            "Only an Account Administrator of a business account can create API tokens."
        ),
        "name_required": _("Give the token a name."),
        "too_many": format_lazy(
            _("You can have at most {limit} active tokens. Revoke one first."),
            limit=MAX_ACTIVE_TOKENS,
        ),
        "already_revoked": _("This token has already been revoked."),
    }


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_allowed(*, user: User) -> bool:
    """Only an Account Administrator of at least one business account, or a License
    Administrator (whose token reaches only their keys), may create tokens."""
    return (
        Membership.objects.filter(user=user, account__kind=Account.Kind.BUSINESS)
        .filter(
            membership_active_admin_q()
            | Q(status=Membership.Status.ACTIVE, license_key_roles__isnull=False)
        )
        .exists()
    )


def api_token_create(*, user: User, name: str, channel: str = AuditLog.Channel.WEB) -> NewToken:
    """Create a named token; the returned secret is the only copy there will ever be."""
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ApiTokenError("name_required")
    with transaction.atomic():
        # Lock the user's row: two parallel creations cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if not api_token_allowed(user=user):
            raise ApiTokenError("not_admin")
        if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
            raise ApiTokenError("too_many")
        secret = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[:PREFIX_LENGTH], token_hash=token_hash(secret)
        )
        audit_log_record(
            actor=user,
            channel=channel,
            action="api_token.created",
            target=token,
            target_label=f"{token.name} ({token.prefix}…)",
        )
    return NewToken(token=token, secret=secret)


def api_token_revoke(
    *,
    token: ApiToken,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> ApiToken:
    """Revoke one of the actor's tokens: it stops working at the next request."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk, user=actor)
        if locked.revoked_at is not None:
            raise ApiTokenError("already_revoked")
        locked.revoked_at = now
        locked.save(update_fields=["revoked_at"])
        audit_log_record(
            actor=actor,
            channel=channel,
            action="api_token.revoked",
            target=locked,
            target_label=f"{locked.name} ({locked.prefix}…)",
        )
    return locked


def api_token_authenticate(*, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token this secret belongs to (with its active owner), or None.

    A token is its owner's, not one account's: what it reaches is decided per account at
    each request (api.access). Whoever SSO deprovisioned (sso.selectors.sso_deprovisioned)
    is no longer the person the token was given to, so every token of theirs answers 401
    until the IdP lets them in again."""
    if not secret or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or sso_deprovisioned(token.user):
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
