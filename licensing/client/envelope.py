"""The one signed-message format of the licensing protocol, used in both directions.

A message is an Ed25519-signed JSON envelope, base64-encoded and wrapped in armor
lines so it survives email, copy and paste and file uploads::

    -----BEGIN MYACCOUNT LICENSING MESSAGE-----
    <standard base64 of the UTF-8 JSON envelope, wrapped at 64 characters>
    -----END MYACCOUNT LICENSING MESSAGE-----

The envelope holds ``format``, ``version``, ``type``, ``kid``, ``issued_at``,
``expires_at``, ``nonce``, ``payload`` and ``signature``. The signature covers a
domain-separated string: ``b"myaccount-licensing/v1\\x00" + type + b"\\x00"`` and the
canonical JSON of every other field, so no byte of a message can change, and a
message of one type can never be passed off as another.

Pure Python (stdlib and ``cryptography``): shared by the portal and ``pmm-proxy``.
Replay protection (remembering nonces) is the receiver's job; this module only
says whether a message is authentic, of an expected type and within its validity.

The portal's key set travels in its answers as a dated statement signed by every key
in it (``key_set_seal``/``key_set_open``, at the end): how a proxy learns a rotated key
from a key it already trusts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "ARMOR_BEGIN",
    "ARMOR_END",
    "DEFAULT_MAX_SKEW",
    "DEFAULT_TTL",
    "FORMAT",
    "MESSAGE_TYPES",
    "VERSION",
    "BadEncoding",
    "BadKey",
    "BadSignature",
    "Decoded",
    "EnvelopeError",
    "Expired",
    "KeySet",
    "Message",
    "NotAnEnvelope",
    "NotYetValid",
    "UnknownKey",
    "UnknownType",
    "UnsupportedVersion",
    "UntrustedKeySet",
    "WrongType",
    "format_timestamp",
    "generate_private_key",
    "decode",
    "is_key_id",
    "key_id_for",
    "key_set_open",
    "key_set_seal",
    "load_private_key_pem",
    "load_public_key_pem",
    "new_nonce",
    "open_envelope",
    "parse_timestamp",
    "peek",
    "private_key_pem",
    "public_key_pem",
    "seal",
    "signing_input",
    "verify",
]

FORMAT = "myaccount-licensing"
VERSION = 1
ARMOR_BEGIN = "-----BEGIN MYACCOUNT LICENSING MESSAGE-----"
ARMOR_END = "-----END MYACCOUNT LICENSING MESSAGE-----"
DOMAIN = b"myaccount-licensing/v1\x00"
# Key set statements are signed under their own domain: neither kind of signature can
# ever be taken for the other.
KEY_SET_DOMAIN = b"myaccount-licensing/key-set/v1\x00"

MESSAGE_TYPES: frozenset[str] = frozenset(
    {
        "activation_request",
        "activation_response",
        "refresh_request",
        "refresh_response",
        "usage_report",
        "usage_response",
        "deactivation_request",
        "deactivation_response",
    }
)

# Offline files travel by hand between the proxy and the portal, so they live for days.
DEFAULT_TTL = timedelta(days=7)
DEFAULT_MAX_SKEW = timedelta(minutes=5)
# Far more than any real message; stops a hostile upload from costing much to parse.
MAX_MESSAGE_CHARS = 1_000_000

_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_KID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ARMOR_RE = re.compile(
    re.escape(ARMOR_BEGIN) + r"[ \t]*\r?\n(?P<body>.*?)" + re.escape(ARMOR_END),
    re.DOTALL,
)
_FIELDS = frozenset(
    {"format", "version", "type", "kid", "issued_at", "expires_at", "nonce", "payload"}
)


# --- errors -------------------------------------------------------------------------------


class EnvelopeError(Exception):
    """A message was refused. ``code`` is stable and safe to return to clients."""

    code = "invalid_message"
    default_message = "The licensing message is invalid."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotAnEnvelope(EnvelopeError):
    code = "not_an_envelope"
    default_message = "This is not a MyAccount licensing message (no armor lines found)."


class BadEncoding(EnvelopeError):
    code = "bad_encoding"
    default_message = "The licensing message is damaged or malformed."


class UnsupportedVersion(EnvelopeError):
    code = "unsupported_version"
    default_message = "The licensing message uses an unsupported format version."


class UnknownType(EnvelopeError):
    code = "unknown_type"
    default_message = "The licensing message has an unknown type."


class WrongType(EnvelopeError):
    code = "wrong_type"
    default_message = "The licensing message is not of the expected type."


class UnknownKey(EnvelopeError):
    code = "unknown_key"
    default_message = "The licensing message is signed with an unknown key."


class BadSignature(EnvelopeError):
    code = "bad_signature"
    default_message = "The licensing message's signature is invalid (tampered or forged)."


class NotYetValid(EnvelopeError):
    code = "not_yet_valid"
    default_message = "The licensing message is dated in the future; check the clock."


class Expired(EnvelopeError):
    code = "expired"
    default_message = "The licensing message has expired."


class UntrustedKeySet(EnvelopeError):
    code = "untrusted_key_set"
    default_message = "The portal's key set is not signed by a key this receiver trusts."


class BadKey(EnvelopeError):
    code = "bad_key"
    default_message = "The key is not a valid Ed25519 key in PEM format."


# --- the message --------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """An opened (or peeked) envelope. Datetimes are timezone-aware UTC."""

    type: str
    kid: str
    issued_at: datetime
    expires_at: datetime
    nonce: str
    payload: dict[str, Any] = field(hash=False)


# --- time ---------------------------------------------------------------------------------


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """Aware datetime -> 'YYYY-MM-DDTHH:MM:SSZ' (UTC, whole seconds)."""
    return _utc(moment).strftime(_TIMESTAMP_FORMAT)


def parse_timestamp(value: str) -> datetime:
    """'YYYY-MM-DDTHH:MM:SSZ' -> aware UTC datetime. Raises ValueError otherwise."""
    if not isinstance(value, str) or not _TIMESTAMP_RE.fullmatch(value):
        raise ValueError(f"not a UTC timestamp: {value!r}")
    if value.isascii():
        # The pattern fixed the format: fromisoformat reads it (and refuses a 13th month
        # or a 61st second as strptime does) at a tenth of strptime's cost.
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    return datetime.strptime(value, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)


# --- keys ---------------------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _as_public(key: Ed25519PublicKey | Ed25519PrivateKey) -> Ed25519PublicKey:
    if isinstance(key, Ed25519PrivateKey):
        return key.public_key()
    if isinstance(key, Ed25519PublicKey):
        return key
    raise TypeError("expected an Ed25519 key")


def is_key_id(value: Any) -> bool:
    """Whether ``value`` can name a key: letters, digits and ``._:-``, at most 64."""
    return isinstance(value, str) and _KID_RE.fullmatch(value) is not None


def key_id_for(public_key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """'k-' + the first 16 hex digits of SHA-256 over the raw 32-byte public key."""
    raw = _as_public(public_key).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return "k-" + hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """SubjectPublicKeyInfo PEM of the key (of its public half, if given a private key)."""
    return (
        _as_public(key)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def private_key_pem(key: Ed25519PrivateKey) -> str:
    """Unencrypted PKCS#8 PEM. Whoever stores it must protect the file."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _pem_bytes(pem: str | bytes) -> bytes:
    if isinstance(pem, str):
        try:
            return pem.strip().encode("ascii")
        except UnicodeEncodeError:
            raise BadKey() from None
    if isinstance(pem, bytes):
        return pem.strip()
    raise BadKey()


def load_public_key_pem(pem: str | bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM; raises BadKey for anything else."""
    try:
        key = serialization.load_pem_public_key(_pem_bytes(pem))
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise BadKey() from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BadKey("The public key is not an Ed25519 key.")
    return key


def load_private_key_pem(pem: str | bytes) -> Ed25519PrivateKey:
    """Load an unencrypted Ed25519 private key from PEM; raises BadKey for anything else."""
    try:
        key = serialization.load_pem_private_key(_pem_bytes(pem), password=None)
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise BadKey("The private key is not a valid unencrypted Ed25519 PEM key.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey("The private key is not an Ed25519 key.")
    return key


# --- encoding -----------------------------------------------------------------------------


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def signing_input(envelope: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed: domain, type, then canonical JSON sans signature."""
    unsigned = {key: value for key, value in envelope.items() if key != "signature"}
    return DOMAIN + str(envelope["type"]).encode("utf-8") + b"\x00" + _canonical(unsigned)


def new_nonce() -> str:
    """128 random bits, URL-safe base64 without padding (22 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


def _armor(envelope: Mapping[str, Any]) -> str:
    body = base64.b64encode(_canonical(envelope)).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


def seal(
    *,
    message_type: str,
    payload: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    kid: str | None = None,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
    nonce: str | None = None,
) -> str:
    """Sign ``payload`` as a message of ``message_type`` and return the armored text.

    ``kid`` defaults to :func:`key_id_for` of the key. ``nonce`` defaults to 128 random
    bits; pass one only in tests.
    """
    if message_type not in MESSAGE_TYPES:
        raise ValueError(f"unknown message type {message_type!r}")
    if not isinstance(payload, Mapping):
        raise TypeError("payload must be a mapping (a JSON object)")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    if kid is None:
        kid = key_id_for(private_key)
    if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
        raise ValueError(f"invalid key id {kid!r}")
    if nonce is None:
        nonce = new_nonce()
    if not isinstance(nonce, str) or not _NONCE_RE.fullmatch(nonce):
        raise ValueError(f"invalid nonce {nonce!r}")
    issued_at = _utc(now).replace(microsecond=0)
    envelope: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "type": message_type,
        "kid": kid,
        "issued_at": format_timestamp(issued_at),
        "expires_at": format_timestamp(issued_at + ttl),
        "nonce": nonce,
        # A round trip through JSON gives the payload exactly as the receiver will see it,
        # and refuses what JSON cannot carry (NaN, non-string keys, objects).
        "payload": json.loads(_canonical(dict(payload))),
    }
    signature = private_key.sign(signing_input(envelope))
    envelope["signature"] = base64.b64encode(signature).decode("ascii")
    return _armor(envelope)


# --- decoding -----------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _decode(text: str | bytes) -> dict[str, Any]:
    """Armored text -> the raw envelope dict, with every field checked for shape."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise NotAnEnvelope() from None
    if not isinstance(text, str):
        raise NotAnEnvelope()
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadEncoding("The licensing message is too large.")
    match = _ARMOR_RE.search(text)
    if match is None:
        raise NotAnEnvelope()
    body = "".join(match.group("body").split())
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadEncoding("The licensing message is not valid base64.") from None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadEncoding("The licensing message is not UTF-8 text.") from None
    try:
        envelope = json.loads(
            decoded,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_no_duplicate_keys,
        )
    except (ValueError, RecursionError):
        raise BadEncoding("The licensing message is not valid JSON.") from None
    if not isinstance(envelope, dict):
        raise BadEncoding("The licensing message is not a JSON object.")

    if envelope.get("format") != FORMAT:
        raise BadEncoding("The message is not in the MyAccount licensing format.")
    version = envelope.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BadEncoding("The licensing message has no valid version.")
    if version != VERSION:
        raise UnsupportedVersion(
            f"The licensing message uses format version {version}; only {VERSION} is supported."
        )

    missing = sorted((_FIELDS | {"signature"}) - envelope.keys())
    if missing:
        raise BadEncoding(f"The licensing message lacks: {', '.join(missing)}.")
    extra = sorted(envelope.keys() - _FIELDS - {"signature"})
    if extra:
        raise BadEncoding(f"The licensing message has unexpected fields: {', '.join(extra)}.")
    for name in ("type", "kid", "issued_at", "expires_at", "nonce", "signature"):
        if not isinstance(envelope[name], str):
            raise BadEncoding(f"The licensing message's {name} is not a string.")
    if not isinstance(envelope["payload"], dict):
        raise BadEncoding("The licensing message's payload is not a JSON object.")
    if not _KID_RE.fullmatch(envelope["kid"]):
        raise BadEncoding("The licensing message's key id is malformed.")
    if not _NONCE_RE.fullmatch(envelope["nonce"]):
        raise BadEncoding("The licensing message's nonce is malformed.")
    try:
        issued_at = parse_timestamp(envelope["issued_at"])
        expires_at = parse_timestamp(envelope["expires_at"])
    except ValueError:
        raise BadEncoding("The licensing message's timestamps are malformed.") from None
    if expires_at < issued_at:
        raise BadEncoding("The licensing message expires before it was issued.")
    return envelope


def _message(envelope: Mapping[str, Any]) -> Message:
    return Message(
        type=envelope["type"],
        kid=envelope["kid"],
        issued_at=parse_timestamp(envelope["issued_at"]),
        expires_at=parse_timestamp(envelope["expires_at"]),
        nonce=envelope["nonce"],
        payload=envelope["payload"],
    )


@dataclass(frozen=True)
class Decoded:
    """An envelope decoded and checked for shape, but NOT verified.

    ``unverified`` may only say which key to verify with (and which type it claims);
    :func:`verify` checks the signature and the time over the very bytes decoded here,
    so a message is parsed once however many questions are asked of it first.
    """

    unverified: Message
    fields: Mapping[str, Any] = field(repr=False, compare=False)


def decode(text: str | bytes) -> Decoded:
    """Parse a message WITHOUT verifying it; raises :class:`EnvelopeError` if malformed."""
    fields = _decode(text)
    return Decoded(unverified=_message(fields), fields=fields)


def peek(text: str | bytes) -> Message:
    """Parse a message WITHOUT verifying it: only to find which key to verify with.

    Nothing read here may be trusted or acted upon before :func:`open_envelope` succeeds.
    """
    return decode(text).unverified


def _expected_set(expected_types: Iterable[str] | str) -> set[str]:
    expected = {expected_types} if isinstance(expected_types, str) else set(expected_types)
    unknown_expected = expected - MESSAGE_TYPES
    if not expected or unknown_expected:
        raise ValueError(f"expected_types must be message types, got {sorted(expected)!r}")
    return expected


def open_envelope(
    text: str | bytes,
    *,
    expected_types: Iterable[str] | str,
    public_keys: Mapping[str, Ed25519PublicKey] | Callable[[str], Ed25519PublicKey | None],
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> Message:
    """Verify a message and return it, or raise a subclass of :class:`EnvelopeError`.

    Checks, in order: armor, encoding and shape, version, known type, expected type,
    known key id, signature, then validity in time (``issued_at`` may be at most
    ``max_skew`` ahead of ``now``; ``expires_at`` must not be in the past).
    """
    _expected_set(expected_types)
    _utc(now)
    return verify(
        decode(text),
        expected_types=expected_types,
        public_keys=public_keys,
        now=now,
        max_skew=max_skew,
    )


def verify(
    decoded: Decoded,
    *,
    expected_types: Iterable[str] | str,
    public_keys: Mapping[str, Ed25519PublicKey] | Callable[[str], Ed25519PublicKey | None],
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> Message:
    """:func:`open_envelope` of a message already decoded: every check after the shape."""
    expected = _expected_set(expected_types)
    moment = _utc(now)

    envelope = decoded.fields
    message_type = envelope["type"]
    if message_type not in MESSAGE_TYPES:
        raise UnknownType(f"The licensing message has an unknown type {message_type!r}.")
    if message_type not in expected:
        wanted = " or ".join(sorted(expected))
        raise WrongType(f"Expected a message of type {wanted}, got one of type {message_type}.")

    kid = envelope["kid"]
    public_key = public_keys(kid) if callable(public_keys) else public_keys.get(kid)
    if public_key is None:
        raise UnknownKey(f"The licensing message is signed with an unknown key {kid!r}.")

    signature_text = envelope["signature"]
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError):
        raise BadEncoding("The licensing message's signature is not valid base64.") from None
    # Only the canonical encoding is accepted, so the signature text itself is malleable
    # in no way (base64 decoders ignore stray bits in the last character).
    if base64.b64encode(signature).decode("ascii") != signature_text or len(signature) != 64:
        raise BadSignature()
    try:
        public_key.verify(signature, signing_input(envelope))
    except InvalidSignature:
        raise BadSignature() from None

    message = decoded.unverified  # now verified: the same fields, signed as they are
    if message.issued_at > moment + max_skew:
        raise NotYetValid(
            f"The licensing message is dated {envelope['issued_at']}, in the future; "
            "check the clocks."
        )
    if message.expires_at < moment:
        raise Expired(f"The licensing message expired at {envelope['expires_at']}.")
    return message


# --- the portal's key set -----------------------------------------------------------------
#
# Every answer of the portal carries its current key set, signed by each key in it: a
# receiver that trusts one of those keys learns the others from it (a key rotation), and
# a key that only vouches for itself is never learnt. The statement is dated, so that an
# older one (listing a key since retired) cannot bring that key back.


@dataclass(frozen=True)
class KeySet:
    """A verified key set: kid -> key, in the portal's order (the last one signs)."""

    issued_at: datetime
    keys: dict[str, Ed25519PublicKey] = field(hash=False)

    def pems(self) -> dict[str, str]:
        return {kid: public_key_pem(key) for kid, key in self.keys.items()}


def _key_set_body(issued_at: str, entries: list[dict[str, str]]) -> bytes:
    return KEY_SET_DOMAIN + _canonical({"issued_at": issued_at, "keys": entries})


def key_set_seal(
    keys: Iterable[tuple[str, Ed25519PrivateKey]], *, now: datetime | None = None
) -> dict[str, Any]:
    """The statement of a key set, signed by every key in it (oldest first)."""
    keys = list(keys)
    issued_at = format_timestamp(_utc(now))
    entries = [
        {"kid": kid, "public_key": public_key_pem(key), "algorithm": "Ed25519"} for kid, key in keys
    ]
    body = _key_set_body(issued_at, entries)
    return {
        "issued_at": issued_at,
        "keys": entries,
        "signatures": {kid: base64.b64encode(key.sign(body)).decode("ascii") for kid, key in keys},
    }


def _key_set_entries(statement: Any) -> tuple[str, list[dict[str, str]], dict[str, str]]:
    malformed = BadEncoding("The portal's key set is malformed.")
    if not isinstance(statement, dict) or set(statement) != {"issued_at", "keys", "signatures"}:
        raise malformed
    issued_at, entries, signatures = (
        statement["issued_at"],
        statement["keys"],
        statement["signatures"],
    )
    if not isinstance(issued_at, str) or not _TIMESTAMP_RE.fullmatch(issued_at):
        raise malformed
    if not isinstance(entries, list) or not entries or not isinstance(signatures, dict):
        raise malformed
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or set(entry) != {"kid", "public_key", "algorithm"}
            or entry["algorithm"] != "Ed25519"
            or not is_key_id(entry["kid"])
            or not isinstance(entry["public_key"], str)
        ):
            raise malformed
    if len({entry["kid"] for entry in entries}) != len(entries):
        raise malformed
    return issued_at, entries, signatures


def key_set_open(
    statement: Any,
    *,
    trusted: Mapping[str, Ed25519PublicKey],
    not_before: datetime | None = None,
) -> KeySet:
    """The key set of ``statement`` if a ``trusted`` key signed it; raises otherwise.

    ``trusted`` maps a key id to the key that must have made the signature under that id
    (the key listed in the statement itself never counts). A statement issued before
    ``not_before`` is refused as well: it may list a key that has been retired since.
    """
    issued_at, entries, signatures = _key_set_entries(statement)
    keys = {entry["kid"]: load_public_key_pem(entry["public_key"]) for entry in entries}
    moment = parse_timestamp(issued_at)
    if not_before is not None and moment < _utc(not_before):
        raise UntrustedKeySet("The portal's key set is older than the one already trusted.")
    body = _key_set_body(issued_at, entries)
    for kid, signature_text in signatures.items():
        key = trusted.get(kid) if isinstance(kid, str) else None
        if key is None or not isinstance(signature_text, str):
            continue
        try:
            signature = base64.b64decode(signature_text, validate=True)
            key.verify(signature, body)
        except (binascii.Error, ValueError, InvalidSignature):
            continue
        return KeySet(issued_at=moment, keys=keys)
    raise UntrustedKeySet()
