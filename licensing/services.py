"""The licensing protocol: activation, refresh, usage reports and deactivation.

One module, called alike by the REST API (channel "online": the proxy talks to the
portal) and by the Offline Activation and Validation page (channel "offline": an
Account Administrator uploads the proxy's request file). Each request function takes
the armored request text and returns the portal's signed armored answer, or raises
:class:`~licensing.errors.LicensingError` and changes nothing.

Every request is checked, in order: envelope (armor, shape, type, signature, time),
then who signed it — an activation by the installation key it carries, every later
request by the key its installation was activated with — then its nonce (accepted
once, recorded in the same transaction as the change it authorises), then the rules
of the guide's chapter 4. Refresh, usage report and deactivation open alike
(:func:`_installation_request_open`): installation locked, signature, the request's
channel, nonce, the installation's channel; then each applies its own rule to a
deactivated installation.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Account, AuditLog, User
from accounts.services import audit_log_record, is_account_admin
from core.locks import deadlock_retry
from licensing import reads, signing
from licensing.client import envelope
from licensing.errors import LicensingError
from licensing.models import UsedNonce
from proxies.models import ProxyServer, UsageReport
from proxies.selectors import license_key_availability
from proxies.services import installation_blacklisted, proxy_server_release
from subscriptions.models import (
    LicenseKey,
    Subscription,
    license_key_normalize,
    license_key_shown,
)
from subscriptions.quota import KeyAvailability

__all__ = [
    "OFFLINE",
    "ONLINE",
    "LicensingError",
    "OfflineRequest",
    "license_activate",
    "license_deactivate",
    "license_refresh",
    "offline_request_inspect",
    "offline_request_process",
    "request_decode",
    "usage_report",
    "used_nonce_purge",
]

ONLINE = ProxyServer.Method.ONLINE
OFFLINE = ProxyServer.Method.OFFLINE
CHANNELS = (ONLINE, OFFLINE)
HOLDING = ProxyServer.HOLDING_STATUSES
MESSAGE_LIFETIME_MAX = envelope.DEFAULT_TTL + timedelta(minutes=5)

ACTIVATION = "activation_request"
REFRESH = "refresh_request"
USAGE = "usage_report"
DEACTIVATION = "deactivation_request"
ANSWER_TYPE = {
    ACTIVATION: "activation_response",
    REFRESH: "refresh_response",
    USAGE: "usage_response",
    DEACTIVATION: "deactivation_response",
}
# A usage report may be dated at most this far from the portal's today (time zones).
USAGE_DATE_SLACK = timedelta(days=1)
USAGE_MAX_AGE = timedelta(days=400)
MAX_COMPUTERS = 10_000_000


# --- license information ------------------------------------------------------------------


def _license_info(
    proxy: ProxyServer, *, now: datetime, availability: KeyAvailability | None = None
) -> dict[str, Any]:
    """What the proxy shows in its License Information dialog (guide, chapter 4).
    `availability`: the key's, when the caller has just read it (after its change)."""
    key = proxy.license_key
    subscription = key.subscription
    # The same arithmetic as the portal's License Keys table (subscriptions.quota): a
    # primary key whose pool went to reserved sublicenses has less left than its total.
    if availability is None:
        availability = license_key_availability(license_key=key, today=now.date())
    licenses = availability.quota
    used = proxy.registered_computers
    # A server deactivated from the portal but still holding its key (offline, waiting
    # for its deactivation file) is told it is deactivated: it must stop using the key.
    active = proxy.status == ProxyServer.Status.ACTIVE
    return {
        "status": "active" if active else "deactivated",
        "activation_id": str(proxy.activation_id),
        "server_name": proxy.server_name,
        "license_key": key.key,
        "start_date": subscription.starts_on.isoformat(),
        "end_date": key.end_date.isoformat(),
        "licenses": licenses,
        "used": used,
        "remaining": max(availability.vacant, 0),
        "over_limit": availability.over_limit,
        "offline_use": subscription.offline_allowed,
        "activation_method": proxy.method,
        "refresh_before": (
            envelope.format_timestamp(now + settings.LICENSING_REFRESH_INTERVAL) if active else None
        ),
    }


def _answer(
    message: envelope.Message, proxy: ProxyServer, body: dict[str, Any], *, now: datetime
) -> str:
    payload = {
        "installation_id": str(proxy.installation_id),
        "request_nonce": message.nonce,
        **body,
    }
    return signing.sign(ANSWER_TYPE[message.type], payload, now=now)


# --- payload validation -------------------------------------------------------------------


def _invalid(detail: str) -> LicensingError:
    return LicensingError("invalid_request", detail=detail)


_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")


def _text(payload: dict[str, Any], name: str, *, max_length: int, required: bool = True) -> str:
    value = payload.get(name, "" if not required else None)
    if not isinstance(value, str):
        raise _invalid(_("%(name)s must be text.") % {"name": name})
    value = value.strip()
    if required and not value:
        raise _invalid(_("%(name)s is required.") % {"name": name})
    if _CONTROL_CHARACTER.search(value):
        raise _invalid(_("%(name)s contains control characters.") % {"name": name})
    if len(value) > max_length:
        raise _invalid(
            _("%(name)s is longer than %(max_length)s characters.")
            % {"name": name, "max_length": max_length}
        )
    return value


def _uuid(payload: dict[str, Any], name: str = "installation_id") -> uuid.UUID:
    value = payload.get(name)
    try:
        if isinstance(value, str) and len(value) <= 64:
            return uuid.UUID(value)
    except ValueError:
        pass
    raise _invalid(_("%(name)s must be a UUID.") % {"name": name})


def _count(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COMPUTERS:
        raise _invalid(
            _("%(name)s must be a whole number from 0 to %(max)s.")
            % {"name": name, "max": MAX_COMPUTERS}
        )
    return value


def _method(payload: dict[str, Any], channel: str, *, implied: str | None = None) -> str:
    """The channel the request was made for (`implied` when its payload names none) is
    the one it came through."""
    method = payload.get("method", implied)
    if method not in CHANNELS:
        raise _invalid(_("method must be online or offline."))
    if method != channel:
        if method == OFFLINE:
            detail = _(
                "This is an offline request: upload it on the Offline Activation and "
                "Validation page."
            )
        else:
            detail = _("This is an online request: the proxy sends it to the portal itself.")
        raise LicensingError("wrong_channel", detail=detail)
    return method


@dataclass(frozen=True)
class Usage:
    date: date
    registered_computers: int
    peak: int


def _usage(data: Any, *, now: datetime) -> Usage:
    if not isinstance(data, dict):
        raise _invalid(_("usage must be an object."))
    registered = _count(data, "registered_computers")
    peak = max(_count(data, "peak"), registered)
    raw = data.get("date")
    try:
        day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise _invalid(_("date must be a date (YYYY-MM-DD)."))
    today = timezone.localdate(now)
    if day > today + USAGE_DATE_SLACK or day < today - USAGE_MAX_AGE:
        raise _invalid(
            _("the usage date %(date)s is not plausible; check the proxy's clock.") % {"date": raw}
        )
    return Usage(date=day, registered_computers=registered, peak=peak)


# --- verification -------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def request_decode(text: str | bytes | envelope.Decoded) -> envelope.Decoded:
    """The request parsed once; nothing in it is trusted before :func:`_open`. The API
    parses the body's text with this (its key throttle reads the parse) and passes the
    parse to the service, which verifies it."""
    if isinstance(text, envelope.Decoded):
        return text
    try:
        return envelope.decode(text)
    except envelope.EnvelopeError as exc:
        raise LicensingError.from_envelope(exc) from None


def _open(
    decoded: envelope.Decoded, expected: str | list[str], keys: dict[str, Any], *, now: datetime
) -> envelope.Message:
    try:
        message = envelope.verify(decoded, expected_types=expected, public_keys=keys, now=now)
    except envelope.UnknownKey:
        raise LicensingError("wrong_installation_key") from None
    except envelope.EnvelopeError as exc:
        raise LicensingError.from_envelope(exc) from None
    # The signer picks the expiry; we keep each nonce until then, so a message may not
    # live longer than an offline file needs (7 days), or the nonce table grows forever.
    if message.expires_at - message.issued_at > MESSAGE_LIFETIME_MAX:
        raise _invalid(_("The message is valid for too long (at most 7 days)."))
    return message


def _check_type(decoded: envelope.Decoded, expected: str, now: datetime) -> None:
    # The type is checked before anything is looked up, so a file of the wrong kind gets
    # "wrong type" rather than a misleading "unknown installation".
    if decoded.unverified.type != expected:
        _open(decoded, expected, {}, now=now)


def _open_activation(decoded: envelope.Decoded, *, now: datetime) -> envelope.Message:
    """An activation request is signed by the installation key it carries."""
    _check_type(decoded, ACTIVATION, now)
    pem = decoded.unverified.payload.get("installation_public_key")
    if not isinstance(pem, str) or len(pem) > 1000:
        raise _invalid(_("installation_public_key must be an Ed25519 public key in PEM."))
    try:
        public_key = envelope.load_public_key_pem(pem)
    except envelope.BadKey:
        raise _invalid(_("installation_public_key must be an Ed25519 public key in PEM.")) from None
    kid = envelope.key_id_for(public_key)
    if decoded.unverified.kid != kid:
        raise LicensingError("wrong_installation_key")
    return _open(decoded, ACTIVATION, {kid: public_key}, now=now)


def _open_installation_request(
    decoded: envelope.Decoded,
    expected: str,
    *,
    now: datetime,
    account: Account | None,
    lock: bool = False,
) -> tuple[envelope.Message, ProxyServer]:
    """A later request is signed by the key its installation was activated with. With
    `lock` (inside the transaction of the change), the installation stays locked."""
    _check_type(decoded, expected, now)
    installation_id = _uuid(decoded.unverified.payload)
    proxy = reads.installation_latest(installation_id, lock=lock)
    # An installation of another account reads like an unknown one.
    if proxy is None or (account is not None and proxy.account_id != account.id):
        raise LicensingError("unknown_installation")
    try:
        public_key = envelope.load_public_key_pem(proxy.installation_public_key)
    except envelope.BadKey:  # pragma: no cover - stored at activation, already checked
        raise LicensingError("unknown_installation") from None
    message = _open(decoded, expected, {proxy.installation_key_id: public_key}, now=now)
    return message, proxy


def _nonce_consume(message: envelope.Message, installation_id: uuid.UUID | None) -> None:
    """Accept each nonce once per signing key. Must run inside the transaction of the
    change it allows: a concurrent twin blocks on the unique index until this one
    commits, then fails. Scoped to the key that signed it, so nobody can "use up" the
    nonce of another installation's file with a message of their own.

    It is the first change of that transaction, so it takes no savepoint of its own
    (two round trips less): a replay aborts the whole transaction, which has changed
    nothing yet, and the LicensingError raised here rolls it back."""
    _unreplayed(lambda: UsedNonce.objects.create(**_nonce_row(message, installation_id)))


def _nonce_row(message: envelope.Message, installation_id: uuid.UUID | None) -> dict[str, Any]:
    return {
        "key_id": message.kid,
        "nonce": message.nonce,
        "message_type": message.type,
        "installation_id": installation_id,
        "expires_at": message.expires_at,
    }


def _unreplayed(run: Callable[[], Any]) -> Any:
    """``run()``, which inserts a nonce: a nonce already used refuses the request."""
    try:
        with transaction.atomic(savepoint=False):
            return run()
    except IntegrityError:
        raise LicensingError("replayed") from None


def _nonce_seen(message: envelope.Message) -> bool:
    return UsedNonce.objects.filter(key_id=message.kid, nonce=message.nonce).exists()


def _require_admin(*, actor: User | None, account: Account | None, channel: str) -> None:
    if channel != OFFLINE:
        return
    if actor is None or account is None:
        raise LicensingError("not_allowed")
    if not is_account_admin(user=actor, account=account):
        raise LicensingError("not_allowed")


def _check_channel(proxy: ProxyServer, channel: str) -> None:
    """The guide: deactivate (and refresh) with the method the installation was activated."""
    if proxy.method == channel:
        return
    if proxy.method == OFFLINE:
        detail = _(
            "This installation was activated offline: refresh and deactivate it offline "
            "too, with request files uploaded on the Offline Activation and Validation page."
        )
    else:
        detail = _("This installation was activated online: refresh and deactivate it online too.")
    raise LicensingError("wrong_channel", detail=detail)


def _license_key_usable(
    raw_key: str, *, now: datetime, account: Account | None, nonce: dict[str, Any] | None
) -> LicenseKey:
    """The key, if it may be activated by this caller now. With `nonce` (the request's
    row, inside the activation's transaction) the nonce is consumed and the key locked."""
    normalized = license_key_normalize(raw_key)
    if normalized is None:
        raise LicensingError("invalid_key")
    if nonce is not None:
        # Serialises activations of one key: check-then-insert under the row lock (the
        # partial unique constraint on ProxyServer is the backstop).
        _unreplayed(lambda: UsedNonce.objects.create(**nonce))
    key = reads.license_key_read(key=normalized, lock=nonce is not None)
    subscription = key.subscription if key is not None else None
    if (
        key is None
        or key.deleted_at is not None
        or subscription.account_id is None
        or (account is not None and subscription.account_id != account.id)
    ):
        raise LicensingError("invalid_key")
    today = timezone.localdate(now)
    if key.end_date < today:
        raise LicensingError(
            "key_expired", end_date=formats.date_format(key.end_date, "SHORT_DATE_FORMAT")
        )
    if subscription.period(today=today) == Subscription.PERIOD_UPCOMING:
        raise LicensingError(
            "key_not_started",
            start_date=formats.date_format(subscription.starts_on, "SHORT_DATE_FORMAT"),
        )
    return key


def _audit(
    proxy: ProxyServer,
    action: str,
    *,
    channel: str,
    actor: User | None,
    data: dict[str, Any] | None = None,
) -> None:
    audit_channel = AuditLog.Channel.OFFLINE if channel == OFFLINE else AuditLog.Channel.PROXY
    audit_log_record(
        action=action,
        channel=audit_channel,
        account=proxy.account,
        actor=actor if channel == OFFLINE else None,
        actor_label="" if channel == OFFLINE and actor else f"installation {proxy.server_name}",
        target=proxy,
        data={
            "license_key": license_key_shown(proxy.license_key.key, viewer=None),
            **(data or {}),
        },
    )


def _installation_request_open(
    decoded: envelope.Decoded,
    expected: str,
    *,
    channel: str,
    now: datetime,
    account: Account | None,
) -> tuple[envelope.Message, ProxyServer]:
    """How refresh, usage report and deactivation open, in this order, inside the
    transaction of their change: the installation found and locked, the signature of
    its key verified, the request made for this channel, its nonce consumed, the
    installation activated over this channel. What each then does with a deactivated
    installation is its own rule."""
    message, proxy = _open_installation_request(
        decoded, expected, now=now, account=account, lock=True
    )
    # A usage report names no method: it is online by nature (offline, the usage goes
    # with the refresh file).
    _method(message.payload, channel, implied=ONLINE if expected == USAGE else None)
    _nonce_consume(message, proxy.installation_id)
    _check_channel(proxy, channel)
    return message, proxy


# --- the four requests --------------------------------------------------------------------


@dataclass(frozen=True)
class _Activation:
    license_key: str
    installation_id: uuid.UUID
    public_key_pem: str
    key_id: str
    server_name: str
    site_code: str
    site_description: str
    app_version: str
    method: str


def _activation_data(message: envelope.Message, channel: str) -> _Activation:
    payload = message.payload
    public_key = envelope.load_public_key_pem(payload["installation_public_key"])
    return _Activation(
        license_key=_text(payload, "license_key", max_length=64),
        installation_id=_uuid(payload),
        public_key_pem=envelope.public_key_pem(public_key),
        key_id=message.kid,
        server_name=_text(payload, "server_name", max_length=255),
        site_code=_text(payload, "site_code", max_length=32),
        site_description=_text(payload, "site_description", max_length=255, required=False),
        app_version=_text(payload, "app_version", max_length=64, required=False),
        method=_method(payload, channel),
    )


@deadlock_retry
def license_activate(
    text: str | bytes | envelope.Decoded,
    *,
    channel: str,
    actor: User | None = None,
    account: Account | None = None,
    now: datetime | None = None,
) -> str:
    """Bind a license key to the installation that signed the request; answer signed.

    Offline (``channel="offline"``), ``actor`` uploads the file as an Account
    Administrator of ``account``, which must own the key.
    """
    now = _now(now)
    _require_admin(actor=actor, account=account, channel=channel)
    message = _open_activation(request_decode(text), now=now)
    data = _activation_data(message, channel)
    with transaction.atomic():
        key = _license_key_usable(
            data.license_key,
            now=now,
            account=account,
            nonce=_nonce_row(message, data.installation_id),
        )
        if channel == OFFLINE and not key.subscription.offline_allowed:
            raise LicensingError("offline_not_allowed")
        _blacklist_check(key, data)
        # One read: every activation of this installation, and the one holding the key.
        known = reads.installation_and_holder(data.installation_id, key.id)
        installation = [p for p in known if p.installation_id == data.installation_id]
        if any(p.installation_key_id != data.key_id for p in installation):
            # An installation id stays bound to the key it was first activated with.
            raise LicensingError("wrong_installation_key")
        if any(p.status in HOLDING and p.license_key_id != key.id for p in installation):
            raise LicensingError("installation_active")
        holder = next(
            (p for p in known if p.license_key_id == key.id and p.status in HOLDING), None
        )
        if holder is not None and holder.installation_id != data.installation_id:
            raise LicensingError("key_in_use")
        if holder is not None:
            # The same installation asks again (say its answer file was lost): answer
            # again, over the channel it was activated with.
            _check_channel(holder, channel)
            proxy = holder
            proxy.server_name = data.server_name
            proxy.site_code = data.site_code
            proxy.site_description = data.site_description
            proxy.app_version = data.app_version
            proxy.last_refresh_at = now
            proxy.save(
                update_fields=[
                    "server_name",
                    "site_code",
                    "site_description",
                    "app_version",
                    "last_refresh_at",
                ]
            )
            action = "proxy_server.activation_renewed"
        else:
            try:
                # No savepoint (two round trips less): a conflict refuses the whole
                # activation, and the LicensingError raised here rolls it all back.
                with transaction.atomic(savepoint=False):
                    proxy = ProxyServer.objects.create(
                        account=key.subscription.account,
                        license_key=key,
                        installation_id=data.installation_id,
                        installation_public_key=data.public_key_pem,
                        installation_key_id=data.key_id,
                        server_name=data.server_name,
                        site_code=data.site_code,
                        site_description=data.site_description,
                        app_version=data.app_version,
                        method=channel,
                        status=ProxyServer.Status.ACTIVE,
                        activated_at=now,
                        last_refresh_at=now,
                    )
            except IntegrityError:
                # The key lock serialises activations of one key; two activations of
                # one installation with two keys meet here, on its unique index.
                raise LicensingError("installation_active") from None
            action = "proxy_server.activated"
        proxy.license_key = key
        _audit(proxy, action, channel=channel, actor=actor, data={"method": channel})
        return _answer(message, proxy, _license_info(proxy, now=now), now=now)


def _usage_store(
    proxy: ProxyServer, usage: Usage, *, now: datetime
) -> tuple[UsageReport, KeyAvailability]:
    """One report per installation and day, keeping the day's peak; the latest day's
    count is the installation's "used". The caller holds the installation's lock.
    Returns the report and the key's availability with the new count in it.

    The day's `licenses` is what the key could use that day by the pool rule (its used
    plus its vacant, as the License Keys table and the proxy's answer have them), so the
    usage history, its chart and the API say "over the limit" exactly where they do: it
    is read once, after the count is stored, and answers the proxy too."""
    # One read for both questions: the report of that day, and whether a later day has
    # one (at most one row per day, so the first two rows from that day tell).
    reports = reads.usage_reports_from(proxy, usage.date)
    report = next((r for r in reports if r.date == usage.date), None)
    if not any(r.date > usage.date for r in reports):
        # A late report of an earlier day (an old offline file) does not overwrite "used".
        proxy.registered_computers = usage.registered_computers
    proxy.last_report_at = now
    proxy.save(update_fields=["registered_computers", "last_report_at"])
    availability = license_key_availability(license_key=proxy.license_key, today=now.date())
    licenses = max(availability.used + availability.vacant, 0)
    if report is None:
        report = UsageReport.objects.create(
            proxy_server=proxy,
            date=usage.date,
            registered_computers=usage.registered_computers,
            peak=usage.peak,
            licenses=licenses,
        )
    else:
        report.registered_computers = usage.registered_computers
        report.peak = max(report.peak, usage.peak)
        report.licenses = licenses
        report.save(update_fields=["registered_computers", "peak", "licenses"])
    return report, availability


@deadlock_retry
def license_refresh(
    text: str | bytes | envelope.Decoded,
    *,
    channel: str,
    actor: User | None = None,
    account: Account | None = None,
    now: datetime | None = None,
) -> str:
    """Answer the current license information (an upgrade shows at once). Stores the
    usage an offline refresh carries. A deactivated installation learns it here."""
    now = _now(now)
    _require_admin(actor=actor, account=account, channel=channel)
    decoded = request_decode(text)
    with transaction.atomic():
        message, proxy = _installation_request_open(
            decoded, REFRESH, channel=channel, now=now, account=account
        )
        raw_usage = message.payload.get("usage")
        usage = _usage(raw_usage, now=now) if raw_usage is not None else None
        if proxy.status not in HOLDING:
            return _answer(message, proxy, _license_info(proxy, now=now), now=now)
        data: dict[str, Any] = {}
        availability = None
        if usage is not None:
            report, availability = _usage_store(proxy, usage, now=now)
            data = {"date": usage.date.isoformat(), "registered_computers": report.peak}
        proxy.last_refresh_at = now
        proxy.save(update_fields=["last_refresh_at"])
        _audit(proxy, "proxy_server.refreshed", channel=channel, actor=actor, data=data)
        info = _license_info(proxy, now=now, availability=availability)
        return _answer(message, proxy, info, now=now)


@deadlock_retry
def usage_report(
    text: str | bytes | envelope.Decoded,
    *,
    channel: str,
    actor: User | None = None,
    account: Account | None = None,
    now: datetime | None = None,
) -> str:
    """Store the registered computers (and the day's peak); answer with over_limit."""
    now = _now(now)
    _require_admin(actor=actor, account=account, channel=channel)
    decoded = request_decode(text)
    with transaction.atomic():
        message, proxy = _installation_request_open(
            decoded, USAGE, channel=channel, now=now, account=account
        )
        usage = _usage(message.payload, now=now)
        if proxy.status not in HOLDING:
            raise LicensingError("installation_deactivated")
        _, availability = _usage_store(proxy, usage, now=now)
        info = _license_info(proxy, now=now, availability=availability)
        _audit(
            proxy,
            "proxy_server.usage_reported",
            channel=channel,
            actor=actor,
            data={
                "date": usage.date.isoformat(),
                "registered_computers": usage.registered_computers,
                "peak": usage.peak,
                "over_limit": info["over_limit"],
            },
        )
        return _answer(message, proxy, info, now=now)


@deadlock_retry
def license_deactivate(
    text: str | bytes | envelope.Decoded,
    *,
    channel: str,
    actor: User | None = None,
    account: Account | None = None,
    now: datetime | None = None,
) -> str:
    """Release the key. Offline, the proxy switched itself off when it wrote the file;
    the key stays taken until that file is uploaded, which is this call."""
    now = _now(now)
    _require_admin(actor=actor, account=account, channel=channel)
    decoded = request_decode(text)
    with transaction.atomic():
        message, proxy = _installation_request_open(
            decoded, DEACTIVATION, channel=channel, now=now, account=account
        )
        if proxy.status not in HOLDING:
            raise LicensingError("installation_deactivated")
        proxy_server_release(proxy, now=now)
        _audit(proxy, "proxy_server.deactivated", channel=channel, actor=actor)
        body = {
            "status": "deactivated",
            "license_key": proxy.license_key.key,
            "activation_id": str(proxy.activation_id),
            "deactivated_at": envelope.format_timestamp(now),
        }
        return _answer(message, proxy, body, now=now)


def used_nonce_purge(*, now: datetime | None = None) -> int:
    """Forget nonces of messages that have expired: those are refused anyway."""
    deleted, _ = UsedNonce.objects.filter(expires_at__lt=_now(now)).delete()
    return deleted


# --- the offline page ---------------------------------------------------------------------


@dataclass(frozen=True)
class OfflineRequest:
    """What an uploaded request file is and what processing it will do."""

    type: str
    server_name: str
    site_code: str
    license_key: str
    installation_id: str
    effect: str
    usage: Usage | None = None

    @property
    def title(self) -> str:
        return {
            ACTIVATION: _("Offline activation request"),
            REFRESH: _("Offline refresh request"),
            DEACTIVATION: _("Offline deactivation request"),
            USAGE: _("Usage report"),
        }[self.type]

    @property
    def answer_label(self) -> str:
        return {
            ACTIVATION: _("Download License Activation File"),
            REFRESH: _("Download Subscription Information File"),
            DEACTIVATION: _("Download Deactivation Confirmation File"),
            USAGE: _("Download Usage Confirmation File"),
        }[self.type]

    @property
    def answer_filename(self) -> str:
        stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in self.server_name)[:60]
        suffix = {
            ACTIVATION: "license-activation",
            REFRESH: "subscription-information",
            DEACTIVATION: "deactivation-confirmation",
            USAGE: "usage-confirmation",
        }[self.type]
        return f"{stem or 'proxy'}-{suffix}.txt"


def _blacklist_check(key: LicenseKey, data: _Activation) -> None:
    """A blacklisted installation (its id, or its public key under any id) activates no
    key of the account: refused on the Offline page's upload as on the activation."""
    if installation_blacklisted(
        account_id=key.subscription.account_id,
        installation_id=data.installation_id,
        public_key=data.public_key_pem,
        key_id=data.key_id,
    ):
        raise LicensingError("installation_blacklisted")


def offline_request_inspect(
    text: str | bytes, *, actor: User, account: Account, now: datetime | None = None
) -> OfflineRequest:
    """Verify an uploaded file and say what it is, changing nothing: the page shows this
    before the administrator confirms. Raises LicensingError like processing would."""
    now = _now(now)
    _require_admin(actor=actor, account=account, channel=OFFLINE)
    decoded = request_decode(text)
    claimed_type = decoded.unverified.type
    if claimed_type == ACTIVATION:
        message = _open_activation(decoded, now=now)
        data = _activation_data(message, OFFLINE)
        if _nonce_seen(message):
            raise LicensingError("replayed")
        key = _license_key_usable(data.license_key, now=now, account=account, nonce=None)
        if not key.subscription.offline_allowed:
            raise LicensingError("offline_not_allowed")
        _blacklist_check(key, data)
        holder = ProxyServer.objects.filter(license_key=key, status__in=HOLDING).first()
        if holder is not None and holder.installation_id != data.installation_id:
            raise LicensingError("key_in_use")
        return OfflineRequest(
            type=ACTIVATION,
            server_name=data.server_name,
            site_code=data.site_code,
            license_key=key.key,
            installation_id=str(data.installation_id),
            effect=ngettext(
                "Activates %(server)s (%(site)s) with the license key %(key)s (%(licenses)s "
                "licenses). The key stays bound to this installation until it is deactivated.",
                "Activates %(server)s (%(site)s) with the license key %(key)s (%(licenses)s "
                "licenses). The key stays bound to this installation until it is deactivated.",
                key.licenses,
            )
            % {
                "server": data.server_name,
                "site": data.site_code,
                "key": key.key,
                "licenses": key.licenses,
            },
        )
    if claimed_type not in (REFRESH, DEACTIVATION):
        # Usage reports go with refresh requests offline; answers are not uploaded here.
        _open(decoded, [ACTIVATION, REFRESH, DEACTIVATION], {}, now=now)
    message, proxy = _open_installation_request(decoded, claimed_type, now=now, account=account)
    _method(message.payload, OFFLINE)
    if _nonce_seen(message):
        raise LicensingError("replayed")
    _check_channel(proxy, OFFLINE)
    base = {
        "server_name": proxy.server_name,
        "site_code": proxy.site_code,
        "license_key": proxy.license_key.key,
        "installation_id": str(proxy.installation_id),
    }
    if message.type == REFRESH:
        raw_usage = message.payload.get("usage")
        usage = _usage(raw_usage, now=now) if raw_usage is not None else None
        if proxy.status not in HOLDING:
            effect = _(
                "This installation has been deactivated on the portal; the subscription "
                "information file tells it so."
            )
        elif usage:
            effect = ngettext(
                "Gives the installation the current subscription information (number of "
                "licenses, dates) and records its usage: %(computers)s computers on %(date)s.",
                "Gives the installation the current subscription information (number of "
                "licenses, dates) and records its usage: %(computers)s computers on %(date)s.",
                usage.registered_computers,
            ) % {
                "computers": usage.registered_computers,
                "date": formats.date_format(usage.date, "SHORT_DATE_FORMAT"),
            }
        else:
            effect = _(
                "Gives the installation the current subscription information (number of "
                "licenses, dates)."
            )
        return OfflineRequest(type=REFRESH, effect=effect, usage=usage, **base)
    if proxy.status not in HOLDING:
        raise LicensingError("installation_deactivated")
    return OfflineRequest(
        type=DEACTIVATION,
        effect=_(
            "Completes the deactivation of %(server)s: the license key %(key)s is released "
            "and can activate another installation."
        )
        % {"server": proxy.server_name, "key": proxy.license_key.key},
        **base,
    )


def offline_request_process(
    text: str | bytes, *, actor: User, account: Account, now: datetime | None = None
) -> tuple[OfflineRequest, str]:
    """Process an uploaded request file as ``actor``; returns what it was and the answer."""
    now = _now(now)
    described = offline_request_inspect(text, actor=actor, account=account, now=now)
    handler = {
        ACTIVATION: license_activate,
        REFRESH: license_refresh,
        DEACTIVATION: license_deactivate,
    }[described.type]
    answer = handler(text, channel=OFFLINE, actor=actor, account=account, now=now)
    return described, answer
