"""The portal's key registry: configured keys, rotation, the development key."""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from licensing import signing
from licensing.client import envelope


def pem_file(directory, name: str):
    key = envelope.generate_private_key()
    path = directory / f"{name}.pem"
    path.write_text(envelope.private_key_pem(key))
    return key, path


def test_a_development_key_is_generated_once_and_kept_private(settings, tmp_path):
    settings.LICENSING_DEV_KEY_DIR = tmp_path / "dev"
    first = signing.current_signing_key()
    path = tmp_path / "dev" / signing.DEV_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    signing.registry_reset()
    assert signing.current_signing_key().kid == first.kid == envelope.key_id_for(first.public_key)


def test_it_refuses_to_generate_a_key_outside_development(settings, tmp_path):
    settings.LICENSING_DEV_KEY_ALLOWED = False
    settings.LICENSING_DEV_KEY_DIR = tmp_path / "dev"
    with pytest.raises(ImproperlyConfigured, match="LICENSING_SIGNING_KEYS is not set"):
        signing.current_signing_key()
    assert not (tmp_path / "dev").exists()


def test_configured_keys_the_last_signs_and_all_verify(settings, tmp_path):
    old, old_path = pem_file(tmp_path, "old")
    new = envelope.generate_private_key()
    inline = envelope.private_key_pem(new).strip().replace("\n", "\\n")
    settings.LICENSING_SIGNING_KEYS = f"portal-2025={old_path}, portal-2026={inline}"
    settings.LICENSING_DEV_KEY_ALLOWED = False

    assert [key.kid for key in signing.signing_keys()] == ["portal-2025", "portal-2026"]
    assert signing.current_signing_key().kid == "portal-2026"
    answer = signing.sign("refresh_response", {"installation_id": "x"})
    assert envelope.peek(answer).kid == "portal-2026"
    assert set(signing.public_keys()) == {"portal-2025", "portal-2026"}


def test_a_file_signed_with_the_old_key_still_verifies_after_rotation(settings, tmp_path):
    _, old_path = pem_file(tmp_path, "old")
    settings.LICENSING_SIGNING_KEYS = f"k1={old_path}"
    old_answer = signing.sign("activation_response", {"installation_id": "x"})

    _, new_path = pem_file(tmp_path, "new")
    settings.LICENSING_SIGNING_KEYS = f"k1={old_path},k2={new_path}"
    message = envelope.open_envelope(
        old_answer, expected_types="activation_response", public_keys=signing.public_keys()
    )
    assert message.kid == "k1"
    assert envelope.peek(signing.sign("activation_response", {})).kid == "k2"


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("just-a-path.pem", "must read"),
        ("k1=/nonexistent/key.pem", "cannot read the key file"),
        ("bad kid!=/x.pem", "not a valid key id"),
        ("k1=-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----", "not an unencrypted"),
    ],
)
def test_a_bad_configuration_fails_loudly(settings, spec, error):
    settings.LICENSING_SIGNING_KEYS = spec
    with pytest.raises(ImproperlyConfigured, match=error):
        signing.signing_keys()


def test_repeated_key_ids_are_refused(settings, tmp_path):
    _, path = pem_file(tmp_path, "a")
    settings.LICENSING_SIGNING_KEYS = f"k1={path},k1={path}"
    with pytest.raises(ImproperlyConfigured, match="repeats"):
        signing.signing_keys()


def test_the_command_prints_the_current_public_key(settings, tmp_path):
    _, old_path = pem_file(tmp_path, "old")
    new, new_path = pem_file(tmp_path, "new")
    settings.LICENSING_SIGNING_KEYS = f"k1={old_path},k2={new_path}"
    out = StringIO()
    call_command("licensing_public_key", stdout=out)
    assert out.getvalue() == envelope.public_key_pem(new)
    assert envelope.load_public_key_pem(out.getvalue())

    out = StringIO()
    call_command("licensing_public_key", "--all", stdout=out)
    assert "# k1" in out.getvalue() and "# k2" in out.getvalue()
