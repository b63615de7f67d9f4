"""The envelope's refusals reach people in their language: licensing/client imports no
Django and says them in English, licensing.errors marks the same sentences."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from licensing import errors
from licensing.client import envelope
from licensing.errors import ENVELOPE_MESSAGES, LicensingError

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEY = envelope.generate_private_key()
KID = envelope.key_id_for(KEY)


def sealed(message_type: str = "activation_request") -> str:
    return envelope.seal(
        message_type=message_type, payload={"a": 1}, private_key=KEY, kid=KID, now=NOW
    )


def reversioned(text: str) -> str:
    body = "".join(text.strip().splitlines()[1:-1])
    data = json.loads(base64.b64decode(body))
    data["version"] = 7
    return "\n".join(
        [
            envelope.ARMOR_BEGIN,
            base64.b64encode(json.dumps(data).encode()).decode(),
            envelope.ARMOR_END,
        ]
    )


def refusal(text: str, **overrides: object) -> envelope.EnvelopeError:
    kwargs: dict = {
        "expected_types": ["activation_request"],
        "public_keys": {KID: KEY.public_key()},
        "now": NOW,
    }
    kwargs.update(overrides)
    with pytest.raises(envelope.EnvelopeError) as caught:
        envelope.open_envelope(text, **kwargs)
    return caught.value


REFUSALS = {
    "not_an_envelope": lambda: refusal("Hello, portal."),
    "bad_encoding": lambda: refusal(f"{envelope.ARMOR_BEGIN}\n!!!!\n{envelope.ARMOR_END}"),
    "unsupported_version": lambda: refusal(reversioned(sealed())),
    "wrong_type": lambda: refusal(sealed("refresh_request")),
    "bad_signature": lambda: refusal(
        sealed(), public_keys={KID: envelope.generate_private_key().public_key()}
    ),
    "not_yet_valid": lambda: refusal(sealed(), now=NOW - timedelta(days=1)),
    "expired": lambda: refusal(sealed(), now=NOW + timedelta(days=8)),
}


@pytest.fixture
def translated(monkeypatch) -> None:
    """A stand-in catalog: every marked sentence comes back in «guillemets»."""
    monkeypatch.setattr(errors, "gettext", lambda msgid: f"«{msgid}»")


def test_every_kind_of_envelope_refusal_is_marked() -> None:
    kinds = [envelope.EnvelopeError, *envelope.EnvelopeError.__subclasses__()]

    assert [k.default_message for k in kinds if k.default_message not in ENVELOPE_MESSAGES] == []


@pytest.mark.parametrize("code", REFUSALS)
def test_an_envelope_refusal_reads_as_the_client_wrote_it_in_english(code: str) -> None:
    exc = REFUSALS[code]()

    error = LicensingError.from_envelope(exc)

    assert (error.code, error.message, error.status) == (code, exc.message, 400)


@pytest.mark.parametrize("code", REFUSALS)
def test_an_envelope_refusal_is_translated_with_the_values_the_client_put_in_it(
    code: str, translated: None
) -> None:
    exc = REFUSALS[code]()

    assert LicensingError.from_envelope(exc).message == f"«{exc.message}»"


def test_a_refusal_the_portal_does_not_know_is_shown_as_it_is(translated: None) -> None:
    exc = envelope.BadEncoding("The licensing message is made of cheese.")

    assert LicensingError.from_envelope(exc).message == "The licensing message is made of cheese."
