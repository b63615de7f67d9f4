"""``pmm-proxy``: the reference on-premises proxy of the licensing protocol.

It activates one installation with a license key, refreshes it, reports usage and
deactivates it, either online (HTTPS to the portal's REST API) or offline (request
files an administrator uploads on the portal's "Offline Activation and Validation"
page, and answer files brought back and imported). Every request is signed with
the installation key; every answer is verified against the pinned portal keys and
matched to a request we actually sent before anything is applied.

Pure Python: no Django import, so it installs on a server that only runs the proxy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.client import HTTPException
from pathlib import Path
from typing import Any, NoReturn, TextIO

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from licensing.client import __version__, envelope
from licensing.client.state import SCHEMA, StateDir, StateError, write_atomic

PROG = "pmm-proxy"
HTTP_TIMEOUT = 30
MAX_RESPONSE_BYTES = 1_000_000
# An online request is answered at once; a short life limits what a captured one is worth.
ONLINE_TTL = timedelta(minutes=15)
# An offline request waits until an administrator uploads it.
OFFLINE_TTL = envelope.DEFAULT_TTL
# Pending offline requests are forgotten after this; their answers have expired by then.
PENDING_RETENTION = timedelta(days=30)

ENDPOINTS = {
    "activation_request": "activate/",
    "refresh_request": "refresh/",
    "usage_report": "usage/",
    "deactivation_request": "deactivate/",
}
ANSWER_FOR = {
    "activation_request": "activation_response",
    "refresh_request": "refresh_response",
    "usage_report": "usage_response",
    "deactivation_request": "deactivation_response",
}
STATUSES = ("not_activated", "pending_offline_activation", "active", "deactivated")


class CliError(Exception):
    """A refusal or failure reported to the user as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the usage as well; the contract is one line.
        raise CliError(message)


# --- context ------------------------------------------------------------------------------


@dataclass
class Context:
    state_dir: StateDir
    now: datetime
    out: TextIO

    def say(self, text: str = "") -> None:
        print(text, file=self.out)


def fingerprint(pem: str) -> str:
    """SHA-256 of a portal key's raw 32 bytes, in hex: what an operator compares with
    ``openssl pkey -pubin -in portal.pem -outform DER | tail -c 32 | sha256sum``."""
    raw = envelope.load_public_key_pem(pem).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()


TOFU_WARNING = (
    "WARNING: no portal public key is pinned (--portal-public-key). The first portal "
    "this proxy talks to will be trusted as it answers (trust on first use): whoever "
    "answers at that address first is believed from then on. Pin the key that "
    "`manage.py licensing_public_key` prints on the portal instead."
)


def _iso(moment: datetime) -> str:
    return envelope.format_timestamp(moment)


def _parse_datetime(value: Any, *, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CliError(f"the portal's answer is malformed: {what} is not a date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"the portal's answer is malformed: {what} is not ISO-8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- talking to the portal ----------------------------------------------------------------


class Portal:
    """The portal's licensing REST API, reached with urllib."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CliError(f"invalid portal URL {url!r}: use http(s)://host[:port]")
        self.base = url.strip().rstrip("/")

    def url(self, path: str) -> str:
        return f"{self.base}/api/licensing/{path}"

    def _call(self, url: str, body: bytes | None) -> Any:
        headers = {"Accept": "application/json", "User-Agent": f"{PROG}/{__version__}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        # The scheme was checked in __init__: only http(s), never file: or custom ones.
        request = urllib.request.Request(  # noqa: S310
            url, data=body, headers=headers, method="POST" if body is not None else "GET"
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
                status = response.status
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise self._http_error(url, exc) from None
        except urllib.error.URLError as exc:
            raise CliError(f"cannot reach the portal at {url}: {exc.reason}") from None
        except TimeoutError:
            raise CliError(
                f"the portal at {url} did not answer within {HTTP_TIMEOUT} seconds"
            ) from None
        except (OSError, HTTPException) as exc:
            reason = str(exc) or type(exc).__name__
            raise CliError(f"cannot talk to the portal at {url}: {reason}") from None
        if status != 200:
            raise CliError(f"unexpected answer from the portal at {url}: HTTP {status}")
        if len(raw) > MAX_RESPONSE_BYTES:
            raise CliError(f"the portal's answer from {url} is too large")
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise CliError(f"the portal's answer from {url} is not JSON") from None

    def _http_error(self, url: str, exc: urllib.error.HTTPError) -> CliError:
        if exc.code == 429:
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            when = f"retry after {retry_after} seconds" if retry_after else "retry later"
            return CliError(f"the portal is rate limiting this proxy (HTTP 429); {when}")
        try:
            error = json.loads(exc.read(MAX_RESPONSE_BYTES).decode("utf-8"))["error"]
            message, code = str(error["message"]), str(error.get("code", ""))
        except Exception:
            return CliError(f"the portal answered HTTP {exc.code} ({exc.reason}) for {url}")
        suffix = f", {code}" if code else ""
        return CliError(f"the portal refused the request (HTTP {exc.code}{suffix}): {message}")

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        answer = self._call(self.url("public-keys/"), None)
        keys: dict[str, Ed25519PublicKey] = {}
        entries = answer.get("keys") if isinstance(answer, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("algorithm", "Ed25519") != "Ed25519":
                continue
            kid, pem = entry.get("kid"), entry.get("public_key")
            if isinstance(kid, str) and isinstance(pem, str):
                try:
                    keys[kid] = envelope.load_public_key_pem(pem)
                except envelope.BadKey:
                    continue
        if not keys:
            raise CliError("the portal published no usable Ed25519 public key")
        return keys

    def post(self, request_type: str, message: str) -> str:
        body = json.dumps({"message": message}).encode("utf-8")
        answer = self._call(self.url(ENDPOINTS[request_type]), body)
        if not isinstance(answer, dict) or not isinstance(answer.get("message"), str):
            raise CliError("the portal's answer carries no signed message")
        return answer["message"]


# --- the proxy ----------------------------------------------------------------------------


class Proxy:
    """One command run against a loaded state; ``save()`` persists it atomically."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.state = ctx.state_dir.load()
        self._prune_pending()

    @property
    def installation_id(self) -> str:
        return self.state["installation_id"]

    @property
    def status(self) -> str:
        return self.state.get("status", "not_activated")

    def save(self) -> None:
        self.ctx.state_dir.save(self.state)

    def _prune_pending(self) -> None:
        pending = self.state.setdefault("pending_requests", {})
        cutoff = self.ctx.now - PENDING_RETENTION
        for nonce, entry in list(pending.items()):
            created = _parse_datetime(entry.get("created_at"), what="created_at")
            if created is None or created < cutoff:
                del pending[nonce]

    def pinned_keys(self) -> dict[str, Ed25519PublicKey]:
        """The portal keys this proxy trusts, under the ids the portal gave them."""
        return {
            kid: self._load_pinned(pem, kid)
            for kid, pem in (self.state.get("portal_keys") or {}).items()
        }

    def has_pinned_key(self) -> bool:
        return bool(self.state.get("portal_keys") or self.state.get("portal_keys_unnamed"))

    @staticmethod
    def _load_pinned(pem: str, kid: str = "") -> Ed25519PublicKey:
        try:
            return envelope.load_public_key_pem(pem)
        except envelope.BadKey:
            raise StateError(f"the pinned portal key {kid} in state.json is corrupt") from None

    def _unnamed_keys(self) -> list[Ed25519PublicKey]:
        """Pinned keys whose id the portal has not told yet: a bare PEM pinned without
        --portal-key-id, or a key an older pmm-proxy pinned under an id it computed."""
        keys = [self._load_pinned(pem) for pem in self.state.get("portal_keys_unnamed") or []]
        for kid, key in self.pinned_keys().items():
            if kid == envelope.key_id_for(key):
                keys.append(key)
        return keys

    def _keys_as_of(self) -> datetime | None:
        return _parse_datetime(self.state.get("portal_keys_as_of"), what="portal_keys_as_of")

    def require_status(self, *allowed: str, action: str) -> None:
        if self.status not in allowed:
            hint = {
                "not_activated": "it has not been activated",
                "pending_offline_activation": "its offline activation is still pending "
                "(import the portal's answer first)",
                "deactivated": "it is deactivated",
                "active": "it is already active",
            }[self.status]
            raise CliError(f"cannot {action}: {hint}")

    # requests

    def seal(
        self, request_type: str, payload: dict[str, Any], *, ttl: timedelta
    ) -> tuple[str, str]:
        nonce = envelope.new_nonce()
        private_key = self.ctx.state_dir.private_key()
        text = envelope.seal(
            message_type=request_type,
            payload=payload,
            private_key=private_key,
            kid=envelope.key_id_for(private_key),
            now=self.ctx.now,
            ttl=ttl,
            nonce=nonce,
        )
        return text, nonce

    def exchange(
        self, portal: Portal, request_type: str, payload: dict[str, Any]
    ) -> envelope.Message:
        """Send a request online and return the verified, matched answer."""
        keys = self.pinned_keys()
        fetched = not self.has_pinned_key()
        if fetched:
            # Trust on first use: pinned only once an answer has verified with them.
            keys = portal.public_keys()
            before = dict(self.state.get("portal_keys") or {})
        text, nonce = self.seal(request_type, payload, ttl=ONLINE_TTL)
        answer = portal.post(request_type, text)
        message = self.verify(answer, expected=ANSWER_FOR[request_type], keys=keys)
        if message.payload.get("request_nonce") != nonce:
            raise CliError("the portal's answer does not answer the request just sent; ignored")
        if fetched and not self.state.get("portal_keys_as_of"):
            # A portal that sends no key set with its answers: pin what it published.
            self.state["portal_keys"] = {
                kid: envelope.public_key_pem(key) for kid, key in keys.items()
            }
        if fetched:
            # Said loudly, with what to compare: this is the moment trust was decided.
            for kid, pem in (self.state.get("portal_keys") or {}).items():
                if before.get(kid) != pem:
                    self.ctx.say(
                        f"WARNING: trusted on first use: pinned portal key {kid} of "
                        f"{portal.base}, SHA-256 fingerprint {fingerprint(pem)}. "
                        "Compare it with the portal's key before relying on it."
                    )
        self.state["portal_url"] = portal.base
        return message

    def write_offline_request(
        self, path: str, request_type: str, payload: dict[str, Any], **extra: Any
    ) -> str:
        text, nonce = self.seal(request_type, payload, ttl=OFFLINE_TTL)
        if path == "-":
            self.ctx.out.write(text)
        else:
            target = Path(path)
            if target.is_dir():
                raise CliError(f"{path} is a directory; give a file name")
            write_atomic(target, text, mode=0o644)
        self.state["pending_requests"][nonce] = {
            "type": request_type,
            "expects": ANSWER_FOR[request_type],
            "created_at": _iso(self.ctx.now),
            **extra,
        }
        return nonce

    def verify(
        self, text: str | bytes, *, expected: str | Sequence[str], keys: dict[str, Any]
    ) -> envelope.Message:
        """Verify an answer with ``keys`` (or with a key they vouch for) and adopt the
        portal's key set it carries; nothing is saved here."""
        try:
            message = self._open(text, expected, keys)
            verified_with = keys
        except envelope.UnknownKey as exc:
            learned = self._keys_vouched_for(text, expected, keys)
            if learned is None:
                raise CliError(
                    "the answer is signed with a portal key this proxy does not trust: "
                    f"{exc.message}"
                ) from None
            message = self._open(text, expected, learned)
            verified_with = learned
        theirs = message.payload.get("installation_id")
        if theirs != self.installation_id:
            raise CliError(
                f"the answer is for another installation ({theirs}), not this one "
                f"({self.installation_id}); nothing was changed"
            )
        self._adopt_keys(message, verified_with[message.kid])
        return message

    def _open(
        self, text: str | bytes, expected: str | Sequence[str], keys: dict[str, Any]
    ) -> envelope.Message:
        try:
            return envelope.open_envelope(
                text, expected_types=expected, public_keys=keys, now=self.ctx.now
            )
        except envelope.UnknownKey:
            raise
        except envelope.EnvelopeError as exc:
            raise CliError(f"the answer was refused: {exc.message}") from None

    def _keys_vouched_for(
        self, text: str | bytes, expected: str | Sequence[str], keys: dict[str, Any]
    ) -> dict[str, Ed25519PublicKey] | None:
        """Keys that verify an answer signed under an id this proxy has not pinned: a
        pinned key that has no id yet, or the answer's key set if a key this proxy
        trusts signed it. Never a key that only vouches for itself."""
        peeked = envelope.peek(text)
        kid = peeked.kid
        unnamed = self._unnamed_keys()
        for key in unnamed:
            try:
                envelope.open_envelope(
                    text, expected_types=expected, public_keys={kid: key}, now=self.ctx.now
                )
            except envelope.EnvelopeError:
                continue
            return {kid: key}
        statement = peeked.payload.get("portal_keys")
        trusted = dict(keys)
        # An unnamed key signs the key set under the id the set gives it.
        raw_unnamed = {_raw(key): key for key in unnamed}
        for entry in statement.get("keys", []) if isinstance(statement, dict) else []:
            try:
                listed = envelope.load_public_key_pem(entry["public_key"])
            except (envelope.BadKey, KeyError, TypeError):
                continue
            if _raw(listed) in raw_unnamed and isinstance(entry.get("kid"), str):
                trusted.setdefault(entry["kid"], raw_unnamed[_raw(listed)])
        try:
            key_set = envelope.key_set_open(
                statement, trusted=trusted, not_before=self._keys_as_of()
            )
        except envelope.EnvelopeError:
            return None
        return key_set.keys if kid in key_set.keys else None

    def _adopt_keys(self, message: envelope.Message, signer: Ed25519PublicKey) -> None:
        """Pin the portal's key set an authentic answer carries, unless it is older than
        the one pinned; without one, name the key that signed the answer."""
        statement = message.payload.get("portal_keys")
        if statement is not None:
            try:
                key_set = envelope.key_set_open(
                    statement, trusted={message.kid: signer}, not_before=self._keys_as_of()
                )
            except envelope.EnvelopeError:
                key_set = None  # an older set: the pinned one stays
            if key_set is not None:
                self.state["portal_keys"] = key_set.pems()
                self.state["portal_keys_unnamed"] = []
                self.state["portal_keys_as_of"] = _iso(key_set.issued_at)
                return
        pinned = self.state.setdefault("portal_keys", {})
        if message.kid not in pinned:
            pinned[message.kid] = envelope.public_key_pem(signer)
            self.state["portal_keys_unnamed"] = [
                pem
                for pem in self.state.get("portal_keys_unnamed") or []
                if _raw(self._load_pinned(pem)) != _raw(signer)
            ]

    # applying answers

    def apply_license(self, payload: dict[str, Any], *, method: str) -> None:
        status = payload.get("status")
        if status not in ("active", "deactivated"):
            raise CliError("the portal's answer is malformed: status is missing or unknown")
        fields = _license_fields(payload)
        refresh_before = _parse_datetime(payload.get("refresh_before"), what="refresh_before")
        license_info = dict(self.state.get("license") or {})
        license_info.update(fields)
        self.state["license"] = license_info
        if status == "deactivated" and self.state.get("status") == "active":
            self.state["deactivated_by_portal"] = True
        self.state["status"] = status
        if status == "active":
            self.state.pop("deactivated_by_portal", None)
            self.state["activation_method"] = fields.get("activation_method") or method
        else:
            self.state["deactivated_at"] = self.state.get("deactivated_at") or _iso(self.ctx.now)
        self.state["last_refresh_at"] = _iso(self.ctx.now)
        self.state["next_refresh_at"] = _iso(refresh_before) if refresh_before else None

    def apply_usage(self, payload: dict[str, Any]) -> None:
        fields = _usage_fields(payload)
        license_info = dict(self.state.get("license") or {})
        license_info.update(fields)
        self.state["license"] = license_info
        self.state["last_usage_report_at"] = _iso(self.ctx.now)

    def mark_usage_reported(self, sent: dict[str, Any] | None) -> None:
        usage = self.state.get("usage")
        if sent and usage and _usage_body(usage) == sent:
            usage["reported"] = True

    def mark_deactivated(self) -> None:
        self.state["status"] = "deactivated"
        self.state["deactivated_at"] = _iso(self.ctx.now)
        self.state["next_refresh_at"] = None

    def clear_pending(self, *types: str) -> None:
        pending = self.state["pending_requests"]
        for nonce, entry in list(pending.items()):
            if entry.get("type") in types:
                del pending[nonce]

    def view(self) -> dict[str, Any]:
        """What ``status`` shows; the JSON form is a public contract."""
        license_info = self.state.get("license") or {}
        next_refresh = _parse_datetime(self.state.get("next_refresh_at"), what="next_refresh_at")
        refresh_due = self.status == "active" and (
            next_refresh is None or self.ctx.now >= next_refresh
        )
        usage = self.state.get("usage")
        return {
            "status": self.status,
            "installation_id": self.installation_id,
            "server_name": self.state.get("server_name"),
            "site_code": self.state.get("site_code"),
            "site_description": self.state.get("site_description"),
            "app_version": self.state.get("app_version"),
            "license_key": license_info.get("license_key"),
            "start_date": license_info.get("start_date"),
            "end_date": license_info.get("end_date"),
            "licenses": license_info.get("licenses"),
            "used": license_info.get("used"),
            "remaining": license_info.get("remaining"),
            "over_limit": bool(license_info.get("over_limit", False)),
            "offline_use": bool(license_info.get("offline_use", False)),
            "activation_method": self.state.get("activation_method"),
            "refresh_before": self.state.get("next_refresh_at"),
            "refresh_due": refresh_due,
            "last_refresh_at": self.state.get("last_refresh_at"),
            "last_usage_report_at": self.state.get("last_usage_report_at"),
            "usage": _usage_body(usage) if usage else None,
            "usage_reported": bool(usage and usage.get("reported")),
            "pending_requests": sorted(e["type"] for e in self.state["pending_requests"].values()),
            "portal_url": self.state.get("portal_url"),
            "portal_key_ids": sorted(self.state.get("portal_keys") or {}),
            "installation_key_id": self.state.get("installation_key_id"),
        }


def _check(value: Any, kinds: tuple[type, ...], what: str) -> Any:
    if value is None:
        return None
    # bool is an int in Python; a count of True licenses is still malformed.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise CliError(f"the portal's answer is malformed: {what} has the wrong type")
    return value


_LICENSE_FIELDS: dict[str, tuple[type, ...]] = {
    "license_key": (str,),
    "start_date": (str,),
    "end_date": (str,),
    "licenses": (int,),
    "used": (int,),
    "remaining": (int,),
    "over_limit": (bool,),
    "offline_use": (bool,),
    "activation_method": (str,),
}
_USAGE_FIELDS = ("used", "licenses", "remaining", "over_limit")


def _license_fields(payload: dict[str, Any]) -> dict[str, Any]:
    fields = {
        name: _check(payload[name], kinds, name)
        for name, kinds in _LICENSE_FIELDS.items()
        if name in payload
    }
    if fields.get("activation_method") not in (None, "online", "offline"):
        raise CliError("the portal's answer is malformed: unknown activation_method")
    return fields


def _usage_fields(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _check(payload[name], _LICENSE_FIELDS[name], name)
        for name in _USAGE_FIELDS
        if name in payload
    }


def _usage_body(usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "registered_computers": usage["registered_computers"],
        "peak": usage["peak"],
        "date": usage["date"],
    }


# --- commands -----------------------------------------------------------------------------


def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    if ctx.state_dir.is_initialised():
        raise CliError(f"{ctx.state_dir.path} is already initialised")
    server_name = _required_text(args.server_name, "--server-name")
    site_code = _required_text(args.site_code, "--site-code")
    portal_keys, unnamed = _read_pin(args.portal_public_key, args.portal_key_id)
    private_key = envelope.generate_private_key()
    state = {
        "schema": SCHEMA,
        "installation_id": str(uuid.uuid4()),
        "installation_key_id": envelope.key_id_for(private_key),
        "created_at": _iso(ctx.now),
        "server_name": server_name,
        "site_code": site_code,
        "site_description": (args.site_description or "").strip(),
        "app_version": (args.app_version or __version__).strip(),
        "portal_keys": portal_keys,
        # A bare PEM pinned without --portal-key-id: named by the first answer it verifies.
        "portal_keys_unnamed": unnamed,
        # When the portal issued the key set pinned (None: pinned by hand).
        "portal_keys_as_of": None,
        "portal_url": None,
        "status": "not_activated",
        "activation_method": None,
        "license": {},
        "usage": None,
        "pending_requests": {},
        "last_refresh_at": None,
        "next_refresh_at": None,
        "last_usage_report_at": None,
        "deactivated_at": None,
    }
    try:
        ctx.state_dir.create(private_key=private_key, state=state)
    except FileExistsError:
        raise CliError(f"{ctx.state_dir.path} is already initialised") from None
    ctx.say(f"Initialised installation {state['installation_id']} in {ctx.state_dir.path}.")
    for kid, pem in portal_keys.items():
        ctx.say(f"Pinned portal key {kid}, SHA-256 fingerprint {fingerprint(pem)}.")
    for pem in unnamed:
        ctx.say(
            f"Pinned the portal key with SHA-256 fingerprint {fingerprint(pem)}; its key id "
            "comes with the first answer it verifies."
        )
    if not portal_keys and not unnamed:
        ctx.say(TOFU_WARNING)
    return 0


def cmd_activate(ctx: Context, args: argparse.Namespace) -> int:
    proxy = Proxy(ctx)
    proxy.require_status(
        "not_activated", "pending_offline_activation", "deactivated", action="activate"
    )
    license_key = _required_text(args.key, "--key")
    method = "online" if args.portal else "offline"
    payload = {
        "license_key": license_key,
        "installation_id": proxy.installation_id,
        "installation_public_key": envelope.public_key_pem(ctx.state_dir.private_key()),
        "server_name": proxy.state["server_name"],
        "site_code": proxy.state["site_code"],
        "site_description": proxy.state.get("site_description", ""),
        "app_version": proxy.state.get("app_version", ""),
        "method": method,
    }
    if args.portal:
        message = proxy.exchange(Portal(args.portal), "activation_request", payload)
        proxy.apply_license(message.payload, method="online")
        # A new activation supersedes older offline requests, including a deactivation
        # whose late confirmation must not switch this activation off.
        proxy.clear_pending("activation_request", "deactivation_request")
        proxy.save()
        _say_license(ctx, proxy)
        return 0

    _require_pinned_key(proxy, "offline activation")
    proxy.clear_pending("deactivation_request")
    proxy.write_offline_request(
        args.offline_request, "activation_request", payload, license_key=license_key
    )
    proxy.state["status"] = "pending_offline_activation"
    proxy.save()
    _say_offline(ctx, args.offline_request, "activation")
    return 0


def cmd_refresh(ctx: Context, args: argparse.Namespace) -> int:
    proxy = Proxy(ctx)
    proxy.require_status("active", action="refresh")
    usage = proxy.state.get("usage")
    sent = _usage_body(usage) if usage and not usage.get("reported") else None
    method = "online" if args.portal else "offline"
    payload = {"installation_id": proxy.installation_id, "method": method, "usage": sent}
    if args.portal:
        message = proxy.exchange(Portal(args.portal), "refresh_request", payload)
        proxy.apply_license(message.payload, method=proxy.state.get("activation_method") or method)
        proxy.mark_usage_reported(sent)
        if proxy.status == "deactivated":
            proxy.clear_pending("activation_request", "refresh_request")
        proxy.save()
        _say_license(ctx, proxy)
        return 0

    _require_pinned_key(proxy, "offline refresh")
    proxy.write_offline_request(args.offline_request, "refresh_request", payload, usage=sent)
    proxy.save()
    _say_offline(ctx, args.offline_request, "refresh")
    return 0


def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    proxy = Proxy(ctx)
    proxy.require_status("active", action="report usage")
    today = ctx.now.date().isoformat()
    usage = proxy.state.get("usage")
    peak = args.computers
    if usage and usage.get("date") == today:
        peak = max(peak, int(usage.get("peak", 0)))
    proxy.state["usage"] = {
        "date": today,
        "registered_computers": args.computers,
        "peak": peak,
        "reported": False,
    }
    # The count is the proxy's own record: keep it even if sending fails below.
    proxy.save()
    if not args.portal:
        ctx.say(
            f"Recorded {args.computers} registered computers (peak {peak} on {today}); "
            "it will be sent with the next refresh."
        )
        return 0

    body = _usage_body(proxy.state["usage"])
    payload = {"installation_id": proxy.installation_id, **body}
    try:
        message = proxy.exchange(Portal(args.portal), "usage_report", payload)
    except CliError as exc:
        raise CliError(f"{exc} (the count was kept and goes with the next refresh)") from None
    proxy.apply_usage(message.payload)
    proxy.mark_usage_reported(body)
    proxy.save()
    view = proxy.view()
    ctx.say(
        f"Reported {args.computers} registered computers: {view['used']} of "
        f"{view['licenses']} licenses used, {view['remaining']} remaining."
    )
    if view["over_limit"]:
        ctx.say("Over the license limit: new computers cannot be enrolled.")
    return 0


def cmd_deactivate(ctx: Context, args: argparse.Namespace) -> int:
    proxy = Proxy(ctx)
    # Deactivated from the portal while activated offline: the portal keeps the key
    # taken until it receives this installation's deactivation request file.
    released_by_portal = (
        proxy.status == "deactivated"
        and proxy.state.get("deactivated_by_portal")
        and proxy.state.get("activation_method") == "offline"
        and not args.portal
    )
    if not released_by_portal:
        proxy.require_status("active", action="deactivate")
    method = "online" if args.portal else "offline"
    payload = {"installation_id": proxy.installation_id, "method": method}
    if args.portal:
        message = proxy.exchange(Portal(args.portal), "deactivation_request", payload)
        if message.payload.get("status") != "deactivated":
            raise CliError("the portal did not confirm the deactivation; nothing was changed")
        proxy.mark_deactivated()
        proxy.clear_pending("activation_request", "refresh_request")
        proxy.save()
        ctx.say("Deactivated. The license key is free to activate another installation.")
        return 0

    proxy.write_offline_request(args.offline_request, "deactivation_request", payload)
    # The proxy stops using the license at once; the portal frees the key on upload.
    proxy.mark_deactivated()
    proxy.clear_pending("activation_request", "refresh_request")
    proxy.save()
    _say_offline(ctx, args.offline_request, "deactivation")
    return 0


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    proxy = Proxy(ctx)
    keys = proxy.pinned_keys()
    if not proxy.has_pinned_key():
        raise CliError(
            "no portal public key is pinned, so the answer cannot be verified; "
            "initialise with --portal-public-key"
        )
    text = _read_input(args.file)
    message = proxy.verify(text, expected=sorted(ANSWER_FOR.values()), keys=keys)
    nonce = message.payload.get("request_nonce")
    pending = proxy.state["pending_requests"].get(nonce) if isinstance(nonce, str) else None
    if pending is None:
        raise CliError(
            "this answer does not match a pending request of this proxy "
            "(already imported, superseded or never requested); nothing was changed"
        )
    if pending.get("expects") != message.type:
        raise CliError(
            f"this {message.type} answers a request that expected a "
            f"{pending.get('expects')}; nothing was changed"
        )

    del proxy.state["pending_requests"][nonce]
    if message.type == "activation_response":
        proxy.apply_license(message.payload, method="offline")
        proxy.clear_pending("activation_request")
    elif message.type == "refresh_response":
        if proxy.status == "deactivated":
            raise CliError("this proxy is deactivated; the refresh answer was not applied")
        proxy.apply_license(message.payload, method=proxy.state.get("activation_method") or "")
        proxy.mark_usage_reported(pending.get("usage"))
    elif message.type == "usage_response":
        proxy.apply_usage(message.payload)
    else:
        if message.payload.get("status") != "deactivated":
            raise CliError("the answer does not confirm the deactivation; nothing was changed")
        proxy.state["status"] = "deactivated"
        proxy.state["deactivation_confirmed_at"] = _iso(ctx.now)
    proxy.save()
    if message.type == "deactivation_response":
        ctx.say("The portal confirmed the deactivation.")
    elif message.type == "usage_response":
        ctx.say("Imported the usage answer.")
    else:
        _say_license(ctx, proxy)
    return 0


def cmd_status(ctx: Context, args: argparse.Namespace) -> int:
    view = Proxy(ctx).view()
    if args.json:
        ctx.say(json.dumps(view, sort_keys=True))
        return 0
    rows = [
        ("Status", view["status"]),
        ("Installation", view["installation_id"]),
        ("Server name", view["server_name"]),
        ("Site code", view["site_code"]),
        ("Site description", view["site_description"]),
        ("License key", view["license_key"]),
        ("Start date", view["start_date"]),
        ("End date", view["end_date"]),
        ("Licenses", view["licenses"]),
        ("Used", view["used"]),
        ("Remaining", view["remaining"]),
        ("Over the limit", "YES" if view["over_limit"] else "no"),
        ("Offline use", "yes" if view["offline_use"] else "no"),
        ("Activation method", view["activation_method"]),
        ("Last refresh", view["last_refresh_at"]),
        ("Refresh before", view["refresh_before"]),
        ("Refresh due", "YES" if view["refresh_due"] else "no"),
        ("Pending requests", ", ".join(view["pending_requests"])),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        ctx.say(f"{label:<{width}}  {'-' if value in (None, '') else value}")
    return 0


# --- helpers ------------------------------------------------------------------------------


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _read_pin(path: str | None, key_id: str | None) -> tuple[dict[str, str], list[str]]:
    """The portal keys ``init`` pins: (kid -> PEM, PEMs whose id is not known yet).

    The file holds what the portal publishes: ``{"kid", "public_key"}`` (``manage.py
    licensing_public_key --json``), ``{"keys": [...]}`` (``--all --json`` or the
    public-keys endpoint), or a bare PEM, whose id ``--portal-key-id`` gives.
    """
    if path is None:
        if key_id is not None:
            raise CliError("--portal-key-id names the key given with --portal-public-key")
        return {}, []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    not_a_key = CliError(
        f"{path} is not an Ed25519 public key in PEM format nor the JSON of "
        "'manage.py licensing_public_key --json'"
    )
    if not text.startswith("{"):
        if key_id is not None and not envelope.is_key_id(key_id):
            raise CliError(f"--portal-key-id {key_id!r} is not a valid key id")
        try:
            pem = envelope.public_key_pem(envelope.load_public_key_pem(text))
        except envelope.BadKey:
            raise not_a_key from None
        return ({key_id: pem}, []) if key_id is not None else ({}, [pem])
    if key_id is not None:
        raise CliError(f"{path} names its key id; --portal-key-id is only for a bare PEM key")
    try:
        document = json.loads(text)
    except ValueError:
        raise not_a_key from None
    entries = document.get("keys") if isinstance(document, dict) else None
    entries = entries if isinstance(entries, list) else [document]
    keys: dict[str, str] = {}
    for entry in entries:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        pem = entry.get("public_key") if isinstance(entry, dict) else None
        if not isinstance(pem, str):
            raise not_a_key
        if not envelope.is_key_id(kid):
            raise CliError(f"{path}: {kid!r} is not a valid key id")
        try:
            keys[kid] = envelope.public_key_pem(envelope.load_public_key_pem(pem))
        except envelope.BadKey:
            raise not_a_key from None
    if not keys:
        raise not_a_key
    return keys, []


def _required_text(value: str | None, option: str) -> str:
    text = (value or "").strip()
    if not text:
        raise CliError(f"{option} must not be empty")
    return text


def _require_pinned_key(proxy: Proxy, what: str) -> None:
    if not proxy.has_pinned_key():
        raise CliError(
            f"{what} needs the portal's public key to verify its answer, and none is pinned; "
            "initialise with --portal-public-key (the portal's 'manage.py licensing_public_key')"
        )


def _read_input(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read(envelope.MAX_MESSAGE_CHARS + 1)
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(envelope.MAX_MESSAGE_CHARS + 1)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None


def _say_offline(ctx: Context, path: str, what: str) -> None:
    out = sys.stderr if path == "-" else ctx.out
    where = "" if path == "-" else f" to {path}"
    print(f"Wrote the {what} request{where}.", file=out)
    print(
        'Upload it on the portal\'s "Offline Activation and Validation" page, download the '
        f"answer file and run: {PROG} --state {ctx.state_dir.path} import ANSWER_FILE",
        file=out,
    )
    if what == "deactivation":
        print(
            "This proxy is deactivated now; the portal frees the license key once the "
            "request is uploaded.",
            file=out,
        )


def _say_license(ctx: Context, proxy: Proxy) -> None:
    view = proxy.view()
    if view["status"] == "deactivated":
        ctx.say("The portal reports this installation as deactivated (by an administrator).")
        return
    ctx.say(
        f"Active: key {view['license_key']}, {view['start_date']} to {view['end_date']}, "
        f"{view['used']} of {view['licenses']} licenses used, {view['remaining']} remaining."
    )
    if view["refresh_before"]:
        ctx.say(f"Refresh before {view['refresh_before']}.")
    if view["over_limit"]:
        ctx.say("Over the license limit: new computers cannot be enrolled.")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Reference on-premises proxy for MyAccount licensing.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--state", required=True, metavar="DIR", help="state directory")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    def channel(sub: argparse.ArgumentParser) -> None:
        group = sub.add_mutually_exclusive_group(required=True)
        group.add_argument("--portal", metavar="URL", help="portal base URL (online)")
        group.add_argument(
            "--offline-request", metavar="FILE", help="write a request file (offline; - = stdout)"
        )

    init = add("init", cmd_init, "create the installation key pair and state")
    init.add_argument("--server-name", required=True, metavar="NAME")
    init.add_argument("--site-code", required=True, metavar="CODE")
    init.add_argument("--site-description", default="", metavar="TEXT")
    init.add_argument("--app-version", default=None, metavar="V")
    init.add_argument(
        "--portal-public-key",
        default=None,
        metavar="PEM_FILE",
        help="the portal key to pin: the JSON of 'manage.py licensing_public_key --json' "
        "(or of the public-keys endpoint), or a bare PEM",
    )
    init.add_argument(
        "--portal-key-id",
        default=None,
        metavar="KID",
        help="the key id the portal publishes for a bare PEM key "
        "(without it, the first answer the key verifies names it)",
    )

    activate = add("activate", cmd_activate, "activate this installation with a license key")
    activate.add_argument("--key", required=True, metavar="KEY")
    channel(activate)

    imported = add("import", cmd_import, "verify a signed answer file and apply it")
    imported.add_argument("file", metavar="FILE", help="answer file (- = stdin)")

    channel(add("refresh", cmd_refresh, "refresh the license information"))

    report = add("report", cmd_report, "record (and optionally send) usage")
    report.add_argument("--computers", required=True, type=_count, metavar="N")
    report.add_argument("--portal", metavar="URL", help="send the report now")

    channel(add("deactivate", cmd_deactivate, "deactivate this installation"))

    status = add("status", cmd_status, "show the license status")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _fail(message: object) -> int:
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None, *, now: datetime | None = None) -> int:
    """Run ``pmm-proxy``; returns the exit status. ``now`` is injectable for tests."""
    try:
        args = build_parser().parse_args(argv)
    except CliError as exc:
        _fail(exc)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0

    if now is not None and (now.tzinfo is None or now.utcoffset() is None):
        raise ValueError("now must be timezone-aware")
    ctx = Context(
        state_dir=StateDir(args.state),
        now=(now or datetime.now(UTC)).astimezone(UTC),
        out=sys.stdout,
    )
    try:
        if args.command == "init":
            return args.handler(ctx, args)
        if not ctx.state_dir.state_file.exists():
            ctx.state_dir.load()  # raises the "not initialised" error
        with ctx.state_dir.lock():
            return args.handler(ctx, args)
    except (CliError, StateError) as exc:
        return _fail(exc)
    except envelope.EnvelopeError as exc:
        return _fail(exc.message)
    except OSError as exc:
        name = f" {exc.filename}" if exc.filename else ""
        return _fail(f"cannot access{name}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except Exception as exc:  # the contract: one line, never a traceback
        return _fail(f"unexpected {type(exc).__name__}: {exc}")
