"""Writes for subscriptions and license keys.

Every function is keyword-only and atomic, raises `SubscriptionError` (nothing
changed) when a rule says no, and leaves an audit log entry when it changes state.
Functions that count licenses first lock the subscription row (`select_for_update`),
so two administrators acting at the same moment can never together exceed it.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import formats, timezone

from accounts.models import Account, AuditLog, Invitation, Membership, User
from accounts.services import (
    AccountAdminRequired,
    InvitationOutcome,
    account_admin_check,
    audit_log_record,
    business_account_create,
    invitation_create,
)
from core.locks import deadlock_retry
from subscriptions import quota
from subscriptions.errors import SubscriptionError
from subscriptions.models import (
    PRIMARY_KEY_NAME,
    Download,
    LicenseKey,
    LicenseKeyAdministrator,
    LicenseKeyInvitation,
    Order,
    Product,
    Subscription,
    license_key_manageable,
    license_key_normalize,
    membership_is_license_admin,
)
from subscriptions.throttle import register_attempt_allowed

DEFAULT_PRODUCT_CODE = "mac-management"
DEFAULT_PRODUCT_NAME = "Mac Management"

__all__ = [
    "SubscriptionError",
    "months_add",
    "product_default",
    "subscription_issue",
    "subscription_upgrade",
    "subscription_renew",
    "subscription_offline_set",
    "subscription_register_check",
    "subscription_register",
    "subscription_rename",
    "sublicense_create",
    "sublicense_update",
    "sublicense_mark_deleted",
    "license_key_manager_check",
    "license_key_manage_check",
    "license_key_administrators_add",
    "license_key_administrator_remove",
    "download_save",
    "download_publish",
]


def months_add(day: date, months: int) -> date:
    """`day` plus whole months; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def product_default() -> Product:
    """The first product, Mac Management (created by a data migration; again here for
    databases that tests flush)."""
    product, _ = Product.objects.get_or_create(
        code=DEFAULT_PRODUCT_CODE, defaults={"name": DEFAULT_PRODUCT_NAME}
    )
    return product


def _staff_may_change_keys(*, actor: User, channel: str) -> bool:
    """Staff in the Django admin with the right to change license keys act for any
    account (sales and support); everyone else must administer the key's account."""
    return (
        channel == AuditLog.Channel.ADMIN
        and actor.is_active
        and actor.is_staff
        and actor.has_perm("subscriptions.change_licensekey")
    )


def _lock(subscription: Subscription) -> Subscription:
    """Re-read the subscription under a row lock (the parent row of all its keys):
    after the account, before its keys (core/locks.py)."""
    return (
        Subscription.objects.select_for_update(no_key=True, of=("self",))
        .select_related("product")
        .get(pk=subscription.pk)
    )


def _lock_live_key(license_key: LicenseKey) -> tuple[Subscription, LicenseKey]:
    """Lock the key's subscription, then re-read the key: refused if it was deleted
    meanwhile (another request's change wins, this one changes nothing)."""
    locked = _lock(license_key.subscription)
    key = LicenseKey.objects.get(pk=license_key.pk)
    if key.deleted_at is not None:
        raise SubscriptionError("license_key_deleted")
    return locked, key


def _key_states(subscription: Subscription, *, today: date) -> list[quota.KeyState]:
    keys = subscription.license_keys.filter(deleted_at__isnull=True)
    states = []
    for key in keys:
        key.subscription = subscription  # end_date reads it; no extra query
        states.append(key.quota_state(today=today))
    return states


def _order_create(
    *, subscription: Subscription, kind: str, quantity: int, actor: User | None
) -> Order:
    return Order.objects.create(
        subscription=subscription,
        kind=kind,
        quantity=quantity,
        licenses_after=subscription.licenses,
        ends_on_after=subscription.ends_on,
        created_by=actor,
    )


# Sales: Django admin and manage.py issue_subscription


def subscription_issue(
    *,
    licenses: int,
    months: int | None = None,
    ends_on: date | None = None,
    starts_on: date | None = None,
    trial: bool = False,
    offline_allowed: bool = False,
    product: Product | None = None,
    account: Account | None = None,
    name: str = "",
    contract_details: str = "",
    actor: User | None = None,
    channel: str = AuditLog.Channel.ADMIN,
    today: date | None = None,
) -> Subscription:
    """Issue a subscription (or a trial) with its primary key, as sales staff do.

    The period is `months` from `starts_on` (default today) or up to `ends_on`.
    The customer registers the primary key later, unless `account` is given.
    """
    today = today or timezone.localdate()
    starts_on = starts_on or today
    if licenses is None or licenses < 1:
        raise SubscriptionError("licenses_too_small")
    if (months is None) == (ends_on is None) or (months is not None and months < 1):
        raise SubscriptionError("period_invalid")
    if months is not None:
        ends_on = months_add(starts_on, months)
    if ends_on < starts_on:
        raise SubscriptionError("ends_before_start", starts_on=starts_on.isoformat())
    with transaction.atomic():
        subscription = Subscription.objects.create(
            product=product or product_default(),
            account=account,
            name=name.strip(),
            licenses=licenses,
            starts_on=starts_on,
            ends_on=ends_on,
            is_trial=trial,
            offline_allowed=offline_allowed,
            contract_details=contract_details,
            registered_at=timezone.now() if account is not None else None,
        )
        primary = LicenseKey.objects.create(
            subscription=subscription, type=LicenseKey.Type.PRIMARY, name=PRIMARY_KEY_NAME
        )
        _order_create(
            subscription=subscription,
            kind=Order.Kind.TRIAL if trial else Order.Kind.PURCHASE,
            quantity=licenses,
            actor=actor,
        )
        audit_log_record(
            account=account,
            actor=actor,
            channel=channel,
            action="subscription.issued",
            target=subscription,
            data={
                "licenses": licenses,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "trial": trial,
                "offline_allowed": offline_allowed,
                "license_key_id": primary.pk,
            },
        )
    subscription.primary_key = primary
    return subscription


def subscription_upgrade(
    *, subscription: Subscription, licenses_added: int, actor: User | None, channel: str
) -> Order:
    """Add licenses to a subscription (an Upgrade order)."""
    if licenses_added is None or licenses_added < 1:
        raise SubscriptionError("licenses_too_small")
    with transaction.atomic():
        locked = _lock(subscription)
        locked.licenses += licenses_added
        locked.save(update_fields=["licenses"])
        order = _order_create(
            subscription=locked, kind=Order.Kind.UPGRADE, quantity=licenses_added, actor=actor
        )
        audit_log_record(
            account=locked.account,
            actor=actor,
            channel=channel,
            action="subscription.upgraded",
            target=locked,
            data={"licenses_added": licenses_added, "licenses": locked.licenses},
        )
    subscription.licenses = locked.licenses
    return order


def subscription_renew(
    *,
    subscription: Subscription,
    months: int | None = None,
    ends_on: date | None = None,
    actor: User | None,
    channel: str,
) -> Order:
    """Extend the end date by `months` or to `ends_on` (a Renewal order). Sublicenses
    with "Renew with Subscription" follow the new date."""
    if (months is None) == (ends_on is None) or (months is not None and months < 1):
        raise SubscriptionError("period_invalid")
    with transaction.atomic():
        locked = _lock(subscription)
        new_end = months_add(locked.ends_on, months) if months is not None else ends_on
        if new_end <= locked.ends_on:
            raise SubscriptionError("renew_not_later", ends_on=locked.ends_on.isoformat())
        previous = locked.ends_on
        locked.ends_on = new_end
        locked.save(update_fields=["ends_on"])
        order = _order_create(subscription=locked, kind=Order.Kind.RENEWAL, quantity=0, actor=actor)
        audit_log_record(
            account=locked.account,
            actor=actor,
            channel=channel,
            action="subscription.renewed",
            target=locked,
            data={"ends_on_before": previous.isoformat(), "ends_on": new_end.isoformat()},
        )
    subscription.ends_on = new_end
    return order


def subscription_offline_set(
    *, subscription: Subscription, allowed: bool, actor: User | None, channel: str
) -> Subscription:
    """Allow or forbid offline activation for the subscription (sales staff only)."""
    with transaction.atomic():
        locked = _lock(subscription)
        if locked.offline_allowed != allowed:
            locked.offline_allowed = allowed
            locked.save(update_fields=["offline_allowed"])
            audit_log_record(
                account=locked.account,
                actor=actor,
                channel=channel,
                action="subscription.offline_enabled"
                if allowed
                else "subscription.offline_disabled",
                target=locked,
            )
    subscription.offline_allowed = allowed
    return subscription


# Customers: Register Key


def subscription_register_check(*, key: str, today: date | None = None) -> LicenseKey:
    """The primary key that `key` names, if it can be registered; changes nothing.

    Register Key asks for business details only after this has said yes.
    """
    today = today or timezone.localdate()
    normalized = license_key_normalize(key)
    if normalized is None:
        raise SubscriptionError("key_malformed")
    license_key = LicenseKey.objects.select_related("subscription").filter(key=normalized).first()
    return _registrable(license_key, today=today)


def _registrable(license_key: LicenseKey | None, *, today: date) -> LicenseKey:
    if license_key is None:
        raise SubscriptionError("key_unknown")
    if not license_key.is_primary:
        raise SubscriptionError("key_sublicense")
    if license_key.subscription.account_id is not None:
        raise SubscriptionError("key_registered")
    if license_key.subscription.is_expired(today=today):
        raise SubscriptionError("key_expired")
    return license_key


def subscription_register_attempt(
    *,
    user: User,
    key: str,
    account: Account | None = None,
    business: dict[str, Any] | None = None,
    channel: str = AuditLog.Channel.WEB,
    today: date | None = None,
) -> Subscription | None:
    """One Register Key attempt, the wizard's rules in one place.

    Every attempt counts against the user's rate limit, successful or not (a correct
    guess is exactly what must be slowed down). With `account` (one the user
    administers) or `business` details (a new business account) the key is registered
    there; with neither the key is only checked, and None says the wizard asks for
    business details next. The key is checked before the details matter: a key that
    went bad meanwhile sends the user back to the key, whatever the details say.
    """
    if not register_attempt_allowed(user_id=user.pk):
        raise SubscriptionError("register_rate_limited")
    if account is None and business is None:
        subscription_register_check(key=key, today=today)
        return None
    return subscription_register(
        user=user, key=key, account=account, business=business, channel=channel, today=today
    )


@deadlock_retry
def subscription_register(
    *,
    user: User,
    key: str,
    account: Account | None = None,
    business: dict[str, Any] | None = None,
    channel: str = AuditLog.Channel.WEB,
    today: date | None = None,
) -> Subscription:
    """Register a primary key: to `account` (a business account the user administers),
    or to a new business account made from `business` details (company name, country,
    zip_code, phone) with the user as its Account Administrator."""
    today = today or timezone.localdate()
    normalized = license_key_normalize(key)
    if normalized is None:
        raise SubscriptionError("key_malformed")
    if account is None and business is None:
        raise SubscriptionError("account_not_business")
    with transaction.atomic():
        if account is not None:
            if not account.is_business:
                raise SubscriptionError("account_not_business")
            # The account before the subscription (core/locks.py).
            account_admin_check(actor=user, account=account, lock=True)
        license_key = LicenseKey.objects.filter(key=normalized).first()
        if license_key is not None:
            # Lock the subscription: two people registering one key at once, one wins.
            license_key.subscription = _lock(license_key.subscription)
        license_key = _registrable(license_key, today=today)
        if account is None:
            account = business_account_create(
                admin=user,
                name=business["name"],
                country=business["country"],
                zip_code=business["zip_code"],
                phone=business["phone"],
                channel=channel,
            )
        subscription = license_key.subscription
        subscription.account = account
        subscription.registered_at = timezone.now()
        subscription.save(update_fields=["account", "registered_at"])
        audit_log_record(
            account=account,
            actor=user,
            channel=channel,
            action="subscription.registered",
            target=subscription,
            data={"license_key_id": license_key.pk},
        )
    return subscription


def subscription_rename(
    *, subscription: Subscription, name: str, actor: User, channel: str = AuditLog.Channel.WEB
) -> Subscription:
    """Change the display name; an empty name falls back to "<Product> Subscription"."""
    with transaction.atomic():
        account_admin_check(actor=actor, account=subscription.account, lock=True)
        previous = subscription.name
        subscription.name = name.strip()
        subscription.save(update_fields=["name"])
        audit_log_record(
            account=subscription.account,
            actor=actor,
            channel=channel,
            action="subscription.renamed",
            target=subscription,
            data={"name_before": previous, "name": subscription.name},
        )
    return subscription


# Customers: sublicenses


def _sublicense_fields_check(
    *,
    subscription: Subscription,
    renew_with_subscription: bool,
    expires_on: date | None,
    today: date,
) -> date | None:
    if subscription.is_expired(today=today):
        raise SubscriptionError("subscription_expired")
    error = sublicense_expiry_error(
        ends_on=subscription.ends_on,
        renew_with_subscription=renew_with_subscription,
        expires_on=expires_on,
        today=today,
    )
    if error is not None:
        raise error
    return None if renew_with_subscription else expires_on


def sublicense_expiry_error(
    *, ends_on: date, renew_with_subscription: bool, expires_on: date | None, today: date
) -> SubscriptionError | None:
    """What is wrong with a sublicense's own expiration date, if anything: it is needed
    unless the key renews with its subscription, and falls between today and the
    subscription's end. The page's form asks it too, to report every problem at once."""
    if renew_with_subscription:
        return None
    if expires_on is None:
        return SubscriptionError("expiration_date_required")
    if expires_on > ends_on:
        return SubscriptionError(
            "expiration_after_subscription",
            ends_on=formats.date_format(ends_on, "SHORT_DATE_FORMAT"),
        )
    if expires_on < today:
        return SubscriptionError("expiration_in_past")
    return None


def _quota_check(
    *, subscription: Subscription, type: str, quota_value: int, today: date, exclude_id=None
) -> None:
    states = _key_states(subscription, today=today)
    code = quota.quota_check(
        subscription.licenses, states, type=type, quota=quota_value, exclude_id=exclude_id
    )
    if code is not None:
        available = quota.quota_max(subscription.licenses, states, type=type, exclude_id=exclude_id)
        raise SubscriptionError(code, available=available, licenses=subscription.licenses)


@deadlock_retry
def sublicense_create(
    *,
    subscription: Subscription,
    actor: User,
    quota: int,
    type: str,
    name: str = "",
    renew_with_subscription: bool = True,
    expires_on: date | None = None,
    channel: str = AuditLog.Channel.WEB,
    today: date | None = None,
) -> LicenseKey:
    """Create a Reserved or Dynamic sublicense (Create License Key)."""
    today = today or timezone.localdate()
    quota_value = quota
    with transaction.atomic():
        account_admin_check(actor=actor, account=subscription.account, lock=True)
        locked = _lock(subscription)
        if locked.account_id != subscription.account_id:  # pragma: no cover - moved meanwhile
            raise AccountAdminRequired("not_admin")
        expires_on = _sublicense_fields_check(
            subscription=locked,
            renew_with_subscription=renew_with_subscription,
            expires_on=expires_on,
            today=today,
        )
        _quota_check(subscription=locked, type=type, quota_value=quota_value, today=today)
        if not name.strip():
            name = f"License Key {locked.license_keys.exclude(type=LicenseKey.Type.PRIMARY).count() + 1}"
        license_key = LicenseKey.objects.create(
            subscription=locked,
            name=name.strip(),
            type=type,
            quota=quota_value,
            renew_with_subscription=renew_with_subscription,
            expires_on=expires_on,
        )
        audit_log_record(
            account=locked.account,
            actor=actor,
            channel=channel,
            action="license_key.created",
            target=license_key,
            data=_key_data(license_key),
        )
    return license_key


@deadlock_retry
def sublicense_update(
    *,
    license_key: LicenseKey,
    actor: User,
    quota: int,
    type: str,
    name: str,
    renew_with_subscription: bool,
    expires_on: date | None = None,
    channel: str = AuditLog.Channel.WEB,
    today: date | None = None,
) -> LicenseKey:
    """Modify a sublicense's name, quota, type and expiry (the row's settings action)."""
    today = today or timezone.localdate()
    if license_key.is_primary:
        raise SubscriptionError("primary_key_readonly")
    quota_value = quota
    with transaction.atomic():
        account_admin_check(actor=actor, account=license_key.subscription.account, lock=True)
        locked, key = _lock_live_key(license_key)
        expires_on = _sublicense_fields_check(
            subscription=locked,
            renew_with_subscription=renew_with_subscription,
            expires_on=expires_on,
            today=today,
        )
        _quota_check(
            subscription=locked, type=type, quota_value=quota_value, today=today, exclude_id=key.pk
        )
        before = _key_data(key)
        key.name = name.strip() or key.name
        key.quota = quota_value
        key.type = type
        key.renew_with_subscription = renew_with_subscription
        key.expires_on = expires_on
        key.save(update_fields=["name", "quota", "type", "renew_with_subscription", "expires_on"])
        audit_log_record(
            account=locked.account,
            actor=actor,
            channel=channel,
            action="license_key.updated",
            target=key,
            data={"before": before, "after": _key_data(key)},
        )
    return key


@deadlock_retry
def license_key_rename(
    *,
    license_key: LicenseKey,
    actor: User,
    name: str,
    channel: str = AuditLog.Channel.WEB,
) -> LicenseKey:
    """Rename a sublicense (the pencil on its License Keys row); nothing else changes."""
    name = name.strip()
    if license_key.is_primary:
        raise SubscriptionError("primary_key_readonly")
    if not name:
        raise SubscriptionError("license_key_name_required")
    with transaction.atomic():
        # An Account Administrator, or a License Administrator of this key.
        license_key_manage_check(actor=actor, license_key=license_key, lock=True)
        locked, key = _lock_live_key(license_key)
        before = key.name
        key.name = name
        key.save(update_fields=["name"])
        audit_log_record(
            account=locked.account,
            actor=actor,
            channel=channel,
            action="license_key.renamed",
            target=key,
            data={"name_before": before, "name": name},
        )
    return key


@deadlock_retry
def sublicense_mark_deleted(
    *,
    license_key: LicenseKey,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
    now: datetime | None = None,
) -> LicenseKey:
    """Mark a sublicense deleted: its licenses go back to the pool. A soft delete, so
    that history still names it. The installation that uses it must be deactivated in
    the same transaction: call `proxies.services.sublicense_delete`, which does both."""
    now = now or timezone.now()
    if license_key.is_primary:
        raise SubscriptionError("primary_key_readonly")
    with transaction.atomic():
        if not _staff_may_change_keys(actor=actor, channel=channel):
            account_admin_check(actor=actor, account=license_key.subscription.account, lock=True)
        locked, key = _lock_live_key(license_key)
        key.deleted_at = now
        key.save(update_fields=["deleted_at"])
        audit_log_record(
            account=locked.account,
            actor=actor,
            channel=channel,
            action="license_key.deleted",
            target=key,
            data=_key_data(key),
        )
    license_key.deleted_at = key.deleted_at
    return key


def _key_data(key: LicenseKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "type": key.type,
        "quota": key.quota,
        "renew_with_subscription": key.renew_with_subscription,
        "expires_on": key.expires_on.isoformat() if key.expires_on else None,
    }


# Sales: downloads (Django admin)


def _file_digest(download: Download) -> tuple[int, str]:
    """Size and SHA-256 of the stored (or just uploaded) file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    field = download.file

    def read() -> None:
        nonlocal size
        for chunk in field.chunks():  # chunks() starts at the beginning
            digest.update(chunk)
            size += len(chunk)

    if field._committed:  # already in storage: open it and close it again
        with field.open("rb"):
            read()
    else:  # a fresh upload: storage reads it again when the model is saved
        read()
    return size, digest.hexdigest()


def download_save(*, download: Download, now: datetime | None = None) -> Download:
    """Save a download as sales staff edit it: size and checksum come from its file
    (an external URL keeps what was typed), and it is dated when first published."""
    now = now or timezone.now()
    if download.file:
        download.size, download.sha256 = _file_digest(download)
    if download.published and download.published_at is None:
        download.published_at = now
    download.sha256 = download.sha256.strip().lower()
    download.save()
    return download


def download_publish(
    *, downloads: list[Download], published: bool, now: datetime | None = None
) -> int:
    """Publish or withdraw downloads; the first publication date is kept. Returns how
    many changed."""
    now = now or timezone.now()
    changed = 0
    with transaction.atomic():
        for download in downloads:
            if download.published == published:
                continue
            download.published = published
            if published and download.published_at is None:
                download.published_at = now
            download.save(update_fields=["published", "published_at"])
            changed += 1
    return changed


# License Administrators (Parallels: a key's gear → License Administrators → Manage Users)


def _actor_membership(*, actor: User, account: Account | None, lock: bool) -> Membership | None:
    if account is None:
        return None
    if lock:
        # The lock the membership services take: a demotion, a block or a removed
        # License Administrator role that commits first is seen, not missed.
        Account.objects.select_for_update().filter(pk=account.pk).first()
    return (
        Membership.objects.filter(user=actor, account=account, status=Membership.Status.ACTIVE)
        .with_license_key_count()
        .first()
    )


def license_key_manager_check(
    *, actor: User, account: Account | None, lock: bool = False
) -> Membership:
    """May `actor` manage keys of `account` at all: an Account Administrator, or a
    License Administrator of at least one key? Returns their membership, for
    `license_key_manageable_q`; raises AccountAdminRequired otherwise. Services that
    act on many servers (deactivate) call it, then keep to the keys the member may
    manage."""
    membership = _actor_membership(actor=actor, account=account, lock=lock)
    if membership is None or not (membership.is_admin or membership_is_license_admin(membership)):
        raise AccountAdminRequired("not_admin")
    return membership


def license_key_manage_check(*, actor: User, license_key: LicenseKey, lock: bool = False) -> None:
    """The role check of every service that changes one key or its proxy servers
    (rename, deactivate, blacklist, move): an Account Administrator of the key's account
    or a License Administrator of this key. Call it inside the transaction; raises
    AccountAdminRequired."""
    membership = _actor_membership(actor=actor, account=license_key.subscription.account, lock=lock)
    if not license_key_manageable(membership, license_key):
        raise AccountAdminRequired("not_admin")


def license_key_administrators_add(
    *,
    license_key: LicenseKey,
    memberships: list[Membership],
    actor: User,
    channel: str = AuditLog.Channel.WEB,
) -> list[LicenseKeyAdministrator]:
    """Make members License Administrators of a key (Account Administrators only).
    Members who already are are skipped; an Account Administrator manages every key
    already and a blocked member nothing, so both are refused and nothing changes."""
    with transaction.atomic():
        account = license_key.subscription.account
        account_admin_check(actor=actor, account=account, lock=True)
        key = LicenseKey.objects.select_for_update().get(pk=license_key.pk)
        if key.deleted_at is not None:
            raise SubscriptionError("license_key_deleted")
        fresh = list(
            Membership.objects.select_related("user").filter(
                pk__in=[m.pk for m in memberships], account=account
            )
        )
        if len(fresh) != len({m.pk for m in memberships}) or not fresh:
            raise SubscriptionError("license_admin_not_member")
        for membership in fresh:
            if membership.role == Membership.Role.ADMIN:
                raise SubscriptionError("license_admin_is_account_admin")
            if not membership.is_active:
                raise SubscriptionError("license_admin_blocked")
        held = set(
            LicenseKeyAdministrator.objects.filter(
                license_key=key, membership__in=fresh
            ).values_list("membership_id", flat=True)
        )
        added = []
        for membership in sorted(fresh, key=lambda m: m.pk):
            if membership.pk in held:
                continue
            added.append(
                LicenseKeyAdministrator.objects.create(membership=membership, license_key=key)
            )
            audit_log_record(
                account=account,
                actor=actor,
                channel=channel,
                action="license_key.administrator_added",
                target=key,
                data={"membership_id": membership.pk, "user": membership.user.email},
            )
    return added


def license_key_administrator_remove(
    *,
    license_key: LicenseKey,
    membership: Membership,
    actor: User,
    channel: str = AuditLog.Channel.WEB,
) -> bool:
    """Take the License Administrator role of one key from a member (Account
    Administrators only); effective at the member's next request. False when the member
    did not hold it (a second click changes nothing)."""
    with transaction.atomic():
        account = license_key.subscription.account
        account_admin_check(actor=actor, account=account, lock=True)
        deleted, _ = LicenseKeyAdministrator.objects.filter(
            license_key=license_key, membership=membership, membership__account=account
        ).delete()
        if deleted:
            audit_log_record(
                account=account,
                actor=actor,
                channel=channel,
                action="license_key.administrator_removed",
                target=license_key,
                data={"membership_id": membership.pk, "user": membership.user.email},
            )
    return bool(deleted)


def license_key_administrators_invite(
    *,
    license_key: LicenseKey,
    emails: list[str],
    actor: User,
    channel: str = AuditLog.Channel.WEB,
) -> InvitationOutcome:
    """Invite people to the account as License Administrators of a key: the existing
    invitation (accounts.services.invitation_create, its e-mail and rules), naming the
    key; on acceptance they administer it. Someone already invited gets the key added
    to their pending invitation; a Regular Member already in the account gets the role
    at once."""
    with transaction.atomic():
        account = license_key.subscription.account
        outcome = invitation_create(account=account, actor=actor, emails=emails, channel=channel)
        pending = Invitation.objects.filter(
            account=account, status=Invitation.Status.PENDING, email__in=outcome.already_invited
        )
        for invitation in [*outcome.invited, *pending]:
            LicenseKeyInvitation.objects.get_or_create(
                invitation=invitation, license_key=license_key
            )
        members = list(
            Membership.objects.filter(
                account=account,
                user__email__in=outcome.already_members,
                role=Membership.Role.MEMBER,
                status=Membership.Status.ACTIVE,
            )
        )
        if members:
            license_key_administrators_add(
                license_key=license_key, memberships=members, actor=actor, channel=channel
            )
    return outcome


def license_key_invitation_accepted(
    *, invitation: Invitation, membership: Membership, channel: str
) -> None:
    """The invitation naming keys was accepted (accounts.services.INVITATION_ACCEPTED,
    in its transaction): the new member administers the keys still live. An Account
    Administrator who accepts manages every key already."""
    if membership.role != Membership.Role.MEMBER:
        return
    grants = LicenseKeyInvitation.objects.filter(
        invitation=invitation, license_key__deleted_at__isnull=True
    ).select_related("license_key")
    for grant in grants:
        _, created = LicenseKeyAdministrator.objects.get_or_create(
            membership=membership, license_key=grant.license_key
        )
        if created:
            audit_log_record(
                account=invitation.account,
                actor=invitation.invited_by,
                channel=channel,
                action="license_key.administrator_added",
                target=grant.license_key,
                data={"membership_id": membership.pk, "user": invitation.email},
            )
