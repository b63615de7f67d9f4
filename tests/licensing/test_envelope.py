"""The signed-message format: round trips, and every way a message is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licensing.client import envelope
from licensing.client.envelope import (
    BadEncoding,
    BadKey,
    BadSignature,
    EnvelopeError,
    Expired,
    NotAnEnvelope,
    NotYetValid,
    UnknownKey,
    UnknownType,
    UnsupportedVersion,
    WrongType,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
PORTAL_KEY = envelope.generate_private_key()
PORTAL_KID = envelope.key_id_for(PORTAL_KEY)
KEYS = {PORTAL_KID: PORTAL_KEY.public_key()}
PAYLOAD = {"installation_id": "7d0c", "request_nonce": "abc", "licenses": 10, "used": 3}


def sealed(message_type: str = "activation_response", **overrides: object) -> str:
    kwargs: dict = {
        "message_type": message_type,
        "payload": PAYLOAD,
        "private_key": PORTAL_KEY,
        "kid": PORTAL_KID,
        "now": NOW,
    }
    kwargs.update(overrides)
    return envelope.seal(**kwargs)


def open_it(text: str | bytes, **overrides: object) -> envelope.Message:
    kwargs: dict = {"expected_types": ["activation_response"], "public_keys": KEYS, "now": NOW}
    kwargs.update(overrides)
    return envelope.open_envelope(text, **kwargs)


def unarmor(text: str) -> dict:
    body = "".join(text.strip().splitlines()[1:-1])
    return json.loads(base64.b64decode(body))


def rearmor(data: dict) -> str:
    body = base64.b64encode(json.dumps(data).encode()).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([envelope.ARMOR_BEGIN, *lines, envelope.ARMOR_END])


def flip(value: str) -> str:
    """Change the first character to another one of the same alphabet."""
    first = value[0]
    replacement = "B" if first != "B" else "C"
    if first.isdigit():
        replacement = "1" if first != "1" else "2"
    return replacement + value[1:]


# --- round trips --------------------------------------------------------------------------


def test_it_round_trips_a_message() -> None:
    message = open_it(sealed(nonce="n" * 22))

    assert message == envelope.Message(
        type="activation_response",
        kid=PORTAL_KID,
        issued_at=NOW,
        expires_at=NOW + envelope.DEFAULT_TTL,
        nonce="n" * 22,
        payload=PAYLOAD,
    )


def test_the_armor_and_the_envelope_have_the_documented_shape() -> None:
    text = sealed(ttl=timedelta(hours=1))
    lines = text.strip().split("\n")

    assert lines[0] == "-----BEGIN MYACCOUNT LICENSING MESSAGE-----"
    assert lines[-1] == "-----END MYACCOUNT LICENSING MESSAGE-----"
    assert all(len(line) <= 64 for line in lines[1:-1])
    assert all(len(line) == 64 for line in lines[1:-2])
    data = unarmor(text)
    assert set(data) == {
        "format",
        "version",
        "type",
        "kid",
        "issued_at",
        "expires_at",
        "nonce",
        "payload",
        "signature",
    }
    assert data["format"] == "myaccount-licensing"
    assert data["version"] == 1
    assert data["issued_at"] == "2026-03-01T12:00:00Z"
    assert data["expires_at"] == "2026-03-01T13:00:00Z"
    assert len(base64.urlsafe_b64decode(data["nonce"] + "==")) == 16
    assert len(base64.b64decode(data["signature"])) == 64


def test_the_signature_covers_the_documented_domain_separated_bytes() -> None:
    data = unarmor(sealed())
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    signed = (
        b"myaccount-licensing/v1\x00activation_response\x00"
        + json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    )

    PORTAL_KEY.public_key().verify(base64.b64decode(data["signature"]), signed)


def test_each_message_gets_a_fresh_nonce() -> None:
    assert open_it(sealed()).nonce != open_it(sealed()).nonce


def test_it_accepts_crlf_whitespace_and_text_around_the_armor() -> None:
    text = sealed().replace("\n", "\r\n")
    wrapped = f"Dear admin,\r\n\r\n   {text}   \r\n\r\n-- \r\nsent from my phone\r\n"

    assert open_it(wrapped).payload == PAYLOAD
    assert open_it(wrapped.encode()).payload == PAYLOAD


def test_it_finds_keys_through_a_callable() -> None:
    asked = []

    def lookup(kid: str):
        asked.append(kid)
        return KEYS.get(kid)

    assert open_it(sealed(), public_keys=lookup).payload == PAYLOAD
    assert asked == [PORTAL_KID]


def test_kid_defaults_to_the_key_id_of_the_signing_key() -> None:
    text = envelope.seal(message_type="usage_report", payload={}, private_key=PORTAL_KEY, now=NOW)

    assert envelope.peek(text).kid == PORTAL_KID


def test_peek_reads_without_verifying() -> None:
    data = unarmor(sealed())
    data["payload"]["licenses"] = 999

    message = envelope.peek(rearmor(data))

    assert message.payload["licenses"] == 999
    with pytest.raises(BadSignature):
        open_it(rearmor(data))


def test_a_decoded_message_verifies_once_like_an_opened_one() -> None:
    decoded = envelope.decode(sealed())

    message = envelope.verify(
        decoded, expected_types="activation_response", public_keys=KEYS, now=NOW
    )

    assert message == open_it(sealed(nonce=decoded.unverified.nonce))
    assert message.payload == PAYLOAD


def test_verifying_a_decoded_message_keeps_every_check() -> None:
    data = unarmor(sealed())
    data["payload"]["licenses"] = 999
    tampered = envelope.decode(rearmor(data))
    other_key = {PORTAL_KID: envelope.generate_private_key().public_key()}

    assert tampered.unverified.payload["licenses"] == 999
    for decoded, kwargs, error in [
        (tampered, {}, BadSignature),
        (envelope.decode(sealed()), {"public_keys": other_key}, BadSignature),
        (envelope.decode(sealed()), {"public_keys": {}}, UnknownKey),
        (envelope.decode(sealed()), {"expected_types": "refresh_response"}, WrongType),
        (envelope.decode(sealed()), {"now": NOW + timedelta(days=8)}, Expired),
        (envelope.decode(sealed()), {"now": NOW - timedelta(hours=1)}, NotYetValid),
    ]:
        arguments = {"expected_types": "activation_response", "public_keys": KEYS, "now": NOW}
        with pytest.raises(error):
            envelope.verify(decoded, **{**arguments, **kwargs})


def test_it_refuses_to_seal_what_is_not_a_message() -> None:
    with pytest.raises(ValueError):
        sealed(message_type="license_grant")
    with pytest.raises(TypeError):
        sealed(payload=[1, 2])
    with pytest.raises(ValueError):
        sealed(payload={"x": float("nan")})
    with pytest.raises(ValueError):
        sealed(now=datetime(2026, 3, 1, 12, 0))


# --- keys ---------------------------------------------------------------------------------


def test_keys_round_trip_through_pem() -> None:
    private = envelope.load_private_key_pem(envelope.private_key_pem(PORTAL_KEY))
    public = envelope.load_public_key_pem(envelope.public_key_pem(PORTAL_KEY))

    assert envelope.key_id_for(private) == PORTAL_KID
    assert envelope.key_id_for(public) == PORTAL_KID
    assert envelope.public_key_pem(PORTAL_KEY).startswith("-----BEGIN PUBLIC KEY-----")


def test_the_key_id_is_a_prefix_of_the_sha256_of_the_raw_key() -> None:
    import hashlib

    raw = base64.b64decode("".join(envelope.public_key_pem(PORTAL_KEY).splitlines()[1:-1]))[-32:]

    assert "k-" + hashlib.sha256(raw).hexdigest()[:16] == PORTAL_KID
    assert len(PORTAL_KID) == 18


@pytest.mark.parametrize("pem", ["", "hello", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END"])
def test_it_refuses_bad_pem(pem: str) -> None:
    with pytest.raises(BadKey) as info:
        envelope.load_public_key_pem(pem)
    assert info.value.code == "bad_key"
    with pytest.raises(BadKey):
        envelope.load_private_key_pem(pem)


def test_it_refuses_a_private_key_where_a_public_key_is_wanted() -> None:
    with pytest.raises(BadKey):
        envelope.load_public_key_pem(envelope.private_key_pem(PORTAL_KEY))


# --- refusals -----------------------------------------------------------------------------


ERROR_CODES = {
    NotAnEnvelope: "not_an_envelope",
    BadEncoding: "bad_encoding",
    UnsupportedVersion: "unsupported_version",
    UnknownType: "unknown_type",
    WrongType: "wrong_type",
    UnknownKey: "unknown_key",
    BadSignature: "bad_signature",
    NotYetValid: "not_yet_valid",
    Expired: "expired",
    BadKey: "bad_key",
}


def test_every_error_is_an_envelope_error_with_a_distinct_stable_code() -> None:
    assert len(set(ERROR_CODES.values())) == len(ERROR_CODES)
    for error_class, code in ERROR_CODES.items():
        error = error_class()
        assert isinstance(error, EnvelopeError)
        assert error.code == code
        assert error.message and "\n" not in error.message
        assert str(error) == error.message


@pytest.mark.parametrize("text", ["", "hello", "-----BEGIN MYACCOUNT LICENSING MESSAGE-----\n"])
def test_it_refuses_text_without_armor(text: str) -> None:
    with pytest.raises(NotAnEnvelope):
        open_it(text)


def test_it_refuses_bytes_that_are_not_text() -> None:
    with pytest.raises(NotAnEnvelope):
        open_it(b"\xff\xfe\x00")


def armored_body(body: bytes) -> str:
    return f"{envelope.ARMOR_BEGIN}\n{base64.b64encode(body).decode()}\n{envelope.ARMOR_END}\n"


@pytest.mark.parametrize(
    "text",
    [
        f"{envelope.ARMOR_BEGIN}\n!!!not base64!!!\n{envelope.ARMOR_END}",
        armored_body(b"\xff\xfe not utf-8"),
        armored_body(b"{not json"),
        armored_body(b"[1, 2, 3]"),
        armored_body(b'{"format": "something-else", "version": 1}'),
        armored_body(b'{"format": "myaccount-licensing", "version": "1"}'),
        armored_body(b'{"format": "myaccount-licensing", "version": 1, "version": 1}'),
        armored_body(b'{"format": "myaccount-licensing", "version": 1, "x": NaN}'),
        armored_body(b'{"format": "myaccount-licensing", "version": 1, "x": 1e999}'),
    ],
)
def test_it_refuses_malformed_encodings(text: str) -> None:
    with pytest.raises(BadEncoding):
        open_it(text)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", None),
        ("kid", 7),
        ("nonce", ["x"]),
        ("nonce", "short"),
        ("payload", "not an object"),
        ("payload", None),
        ("signature", 1),
        ("issued_at", "2026-03-01 12:00:00"),
        ("expires_at", "2026-03-01T12:00:00+00:00"),
        ("expires_at", "2026-02-01T12:00:00Z"),
        ("kid", "has spaces in it"),
        ("extra", "field"),
    ],
)
def test_it_refuses_wrongly_typed_fields(field: str, value: object) -> None:
    data = unarmor(sealed())
    data[field] = value

    with pytest.raises(BadEncoding):
        open_it(rearmor(data))


@pytest.mark.parametrize("field", ["type", "kid", "issued_at", "nonce", "payload", "signature"])
def test_it_refuses_a_message_missing_a_field(field: str) -> None:
    data = unarmor(sealed())
    del data[field]

    with pytest.raises(BadEncoding):
        open_it(rearmor(data))


def test_it_refuses_other_versions() -> None:
    data = unarmor(sealed())
    data["version"] = 2

    with pytest.raises(UnsupportedVersion) as info:
        open_it(rearmor(data))
    assert "version 2" in info.value.message


def test_it_refuses_unknown_types() -> None:
    data = unarmor(sealed())
    data["type"] = "license_grant"

    with pytest.raises(UnknownType):
        open_it(rearmor(data))


def test_a_message_of_one_type_is_never_accepted_as_another() -> None:
    text = sealed("refresh_response")

    with pytest.raises(WrongType) as info:
        open_it(text, expected_types=["activation_response"])
    assert "refresh_response" in info.value.message
    assert open_it(text, expected_types="refresh_response").type == "refresh_response"


def test_relabelling_the_type_breaks_the_signature() -> None:
    data = unarmor(sealed("refresh_response"))
    data["type"] = "activation_response"

    with pytest.raises(BadSignature):
        open_it(rearmor(data), expected_types=["activation_response", "refresh_response"])


def test_it_refuses_an_unknown_key() -> None:
    other = envelope.generate_private_key()

    with pytest.raises(UnknownKey):
        open_it(sealed(private_key=other, kid=envelope.key_id_for(other)))
    with pytest.raises(UnknownKey):
        open_it(sealed(), public_keys=lambda kid: None)


def test_it_refuses_a_message_signed_by_another_key_under_a_known_kid() -> None:
    forger = envelope.generate_private_key()

    with pytest.raises(BadSignature):
        open_it(sealed(private_key=forger, kid=PORTAL_KID))


@pytest.mark.parametrize("field", ["type", "kid", "nonce", "payload", "signature", "issued_at"])
def test_flipping_one_byte_of_any_part_is_refused(field: str) -> None:
    data = unarmor(sealed())
    if field == "payload":
        data["payload"]["installation_id"] = flip(data["payload"]["installation_id"])
    elif field == "issued_at":
        data["issued_at"] = data["issued_at"].replace("12:00:00", "11:00:00")
    elif field == "type":
        data["type"] = "activation_responsf"
    else:
        data[field] = flip(data[field])

    with pytest.raises(EnvelopeError):
        open_it(rearmor(data))


@pytest.mark.parametrize("position", [0, 10, 100, 200, -70])
def test_flipping_a_character_of_the_armored_text_is_refused(position: int) -> None:
    text = sealed()
    lines = text.split("\n")
    body = list("".join(lines[1:-2]))
    body[position] = "A" if body[position] != "A" else "B"
    flipped = "\n".join([lines[0], "".join(body), *lines[-2:]])

    with pytest.raises(EnvelopeError):
        open_it(flipped)


def test_a_non_canonical_signature_encoding_is_refused() -> None:
    data = unarmor(sealed())
    signature = data["signature"]
    # The last character before "==" carries 4 unused bits: flipping one of them keeps
    # the decoded bytes identical, so only the canonical-encoding check catches it.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(signature[-3])
    data["signature"] = signature[:-3] + alphabet[last ^ 1] + "=="

    with pytest.raises(BadSignature):
        open_it(rearmor(data))


def test_it_refuses_a_message_from_the_future_beyond_the_skew() -> None:
    text = sealed(now=NOW + timedelta(minutes=6))

    with pytest.raises(NotYetValid):
        open_it(text)
    assert open_it(text, max_skew=timedelta(minutes=10)).payload == PAYLOAD
    assert open_it(sealed(now=NOW + timedelta(minutes=4))).payload == PAYLOAD


def test_it_refuses_an_expired_message() -> None:
    text = sealed(ttl=timedelta(hours=1))

    assert open_it(text, now=NOW + timedelta(hours=1)).payload == PAYLOAD
    with pytest.raises(Expired):
        open_it(text, now=NOW + timedelta(hours=1, seconds=1))


def test_a_forged_message_is_refused_for_its_signature_before_its_dates() -> None:
    data = unarmor(sealed(ttl=timedelta(hours=1)))
    data["payload"]["licenses"] = 1000

    with pytest.raises(BadSignature):
        open_it(rearmor(data), now=NOW + timedelta(days=30))


# --- property -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(
    payload=st.dictionaries(st.text(), json_values, max_size=8),
    message_type=st.sampled_from(sorted(envelope.MESSAGE_TYPES)),
)
def test_seal_then_open_round_trips_any_json_payload(payload: dict, message_type: str) -> None:
    text = envelope.seal(
        message_type=message_type, payload=payload, private_key=PORTAL_KEY, now=NOW
    )

    message = envelope.open_envelope(text, expected_types=[message_type], public_keys=KEYS, now=NOW)

    assert message.payload == payload
    assert message.type == message_type
    assert text.isascii()


# --- the portal's key set -----------------------------------------------------------------

NEW_KEY = envelope.generate_private_key()


def key_set(**overrides: object) -> dict:
    statement = envelope.key_set_seal([("portal-1", PORTAL_KEY), ("portal-2", NEW_KEY)], now=NOW)
    statement.update(overrides)
    return statement


def test_a_key_set_signed_by_a_trusted_key_opens_with_every_key_it_lists():
    opened = envelope.key_set_open(key_set(), trusted={"portal-1": PORTAL_KEY.public_key()})

    assert list(opened.keys) == ["portal-1", "portal-2"]
    assert opened.issued_at == NOW
    assert opened.pems()["portal-2"] == envelope.public_key_pem(NEW_KEY)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["keys"].pop(),  # a key dropped after signing
        lambda s: s.update(issued_at="2030-01-01T00:00:00Z"),  # redated
        lambda s: s["signatures"].pop("portal-1"),  # the trusted key did not sign
        lambda s: s["signatures"].update({"portal-1": s["signatures"]["portal-2"]}),
    ],
)
def test_a_key_set_the_trusted_key_did_not_sign_as_it_is_is_refused(change):
    statement = key_set()
    change(statement)

    with pytest.raises(envelope.UntrustedKeySet):
        envelope.key_set_open(statement, trusted={"portal-1": PORTAL_KEY.public_key()})


def test_a_key_set_signed_only_by_the_keys_it_lists_is_not_trusted():
    with pytest.raises(envelope.UntrustedKeySet):
        envelope.key_set_open(key_set(), trusted={"portal-9": NEW_KEY.public_key()})


def test_a_key_set_older_than_the_one_held_is_refused():
    trusted = {"portal-1": PORTAL_KEY.public_key()}

    with pytest.raises(envelope.UntrustedKeySet, match="older"):
        envelope.key_set_open(key_set(), trusted=trusted, not_before=NOW + timedelta(seconds=1))
    assert envelope.key_set_open(key_set(), trusted=trusted, not_before=NOW).issued_at == NOW


@pytest.mark.parametrize(
    "statement",
    [
        None,
        "keys",
        {"keys": [], "signatures": {}, "issued_at": "2026-03-01T12:00:00Z"},
        key_set(issued_at="yesterday"),
        key_set(extra=1),
        key_set(keys=[{"kid": "bad id!", "public_key": "x", "algorithm": "Ed25519"}]),
        key_set(keys=[{"kid": "k", "public_key": "x", "algorithm": "RSA"}]),
        key_set(keys=key_set()["keys"] * 2),
        key_set(signatures=["not", "a", "mapping"]),
    ],
)
def test_a_malformed_key_set_is_refused(statement):
    with pytest.raises(envelope.EnvelopeError):
        envelope.key_set_open(statement, trusted={"portal-1": PORTAL_KEY.public_key()})
