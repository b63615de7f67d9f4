"""The portal's Ed25519 signing keys, and signing of the answers it sends.

Keys come from ``settings.LICENSING_SIGNING_KEYS``: ``kid=PEM-path-or-value,...``. The
last one signs; every one of them verifies, so a key can be rotated while files signed
with the old one are still in the field. With no key configured, a development key is
generated on first use in ``LICENSING_DEV_KEY_DIR`` (mode 0600) — only where
``LICENSING_DEV_KEY_ALLOWED`` (DEBUG by default): production without keys fails its
system check (licensing/checks.py) and so does not start.

The key id is the operator's, never computed: the portal publishes each key with its id
(the public-keys endpoint, ``manage.py licensing_public_key --json``) and every answer
carries the whole key set, signed by each key, so proxies follow a rotation.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from licensing.client import envelope

DEV_KEY_FILE = "licensing-signing-key.pem"
PEM_BEGIN = "-----BEGIN"


@dataclass(frozen=True)
class SigningKey:
    """One portal key, loaded once per process with its public half and PEM."""

    kid: str
    private_key: Ed25519PrivateKey
    public_key: Ed25519PublicKey = field(init=False, repr=False, compare=False)
    public_key_pem: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_key", self.private_key.public_key())
        object.__setattr__(self, "public_key_pem", envelope.public_key_pem(self.private_key))


_lock = threading.Lock()
_registry: list[SigningKey] | None = None


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("LICENSING_"):
        registry_reset()


def registry_reset() -> None:
    """Forget the loaded keys (tests, or after the settings change)."""
    global _registry
    with _lock:
        _registry = None


def _load_pem(kid: str, value: str) -> Ed25519PrivateKey:
    value = value.strip()
    if value.startswith(PEM_BEGIN):
        pem = value.replace("\\n", "\n")
    else:
        try:
            pem = Path(value).expanduser().read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImproperlyConfigured(
                f"LICENSING_SIGNING_KEYS: cannot read the key file of {kid!r} ({value}): {exc}"
            ) from None
    try:
        return envelope.load_private_key_pem(pem)
    except envelope.BadKey:
        raise ImproperlyConfigured(
            f"LICENSING_SIGNING_KEYS: the key {kid!r} is not an unencrypted Ed25519 PEM private key"
        ) from None


def _parse_configured(spec: str) -> list[SigningKey]:
    keys: list[SigningKey] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        kid, sep, value = item.partition("=")
        kid = kid.strip()
        if not sep or not kid or not value.strip():
            raise ImproperlyConfigured(
                "LICENSING_SIGNING_KEYS must read 'kid=/path/to/key.pem,kid2=...', "
                f"not {item[:40]!r}"
            )
        if not envelope.is_key_id(kid):
            raise ImproperlyConfigured(
                f"LICENSING_SIGNING_KEYS: {kid!r} is not a valid key id "
                "(letters, digits and ._:- only, at most 64)"
            )
        if any(key.kid == kid for key in keys):
            raise ImproperlyConfigured(f"LICENSING_SIGNING_KEYS: the key id {kid!r} repeats")
        keys.append(SigningKey(kid=kid, private_key=_load_pem(kid, value)))
    return keys


class SigningKeysMissing(ImproperlyConfigured):
    """Production (no development key allowed) without LICENSING_SIGNING_KEYS."""

    def __init__(self) -> None:
        super().__init__(
            "LICENSING_SIGNING_KEYS is not set. The portal signs licensing answers with "
            "Ed25519 keys and never generates one outside development: create one with "
            "`openssl genpkey -algorithm ed25519 -out portal.pem` and set "
            "LICENSING_SIGNING_KEYS=portal-1=/path/to/portal.pem."
        )


def _dev_key_allowed() -> bool:
    return bool(getattr(settings, "LICENSING_DEV_KEY_ALLOWED", settings.DEBUG))


def configuration_check() -> str:
    """``"configured"`` or ``"development"``; raises ImproperlyConfigured saying what to set.

    Reads the configured key files but, unlike :func:`signing_keys`, never generates a
    development key: the system check and /healthz call it.
    """
    spec = settings.LICENSING_SIGNING_KEYS or ""
    if spec.strip():
        _parse_configured(spec)
        return "configured"
    if not _dev_key_allowed():
        raise SigningKeysMissing()
    return "development"


def _dev_key() -> SigningKey:
    if not _dev_key_allowed():
        raise SigningKeysMissing()
    directory = Path(settings.LICENSING_DEV_KEY_DIR)
    path = directory / DEV_KEY_FILE
    if not path.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        private_key = envelope.generate_private_key()
        fd, tmp_name = tempfile.mkstemp(prefix=".signing.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(envelope.private_key_pem(private_key))
            os.chmod(tmp_name, 0o600)
            # link() fails if another process got there first: then theirs is the key.
            with contextlib.suppress(FileExistsError):
                os.link(tmp_name, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    private_key = _load_pem("development", str(path))
    return SigningKey(kid=envelope.key_id_for(private_key), private_key=private_key)


def signing_keys() -> list[SigningKey]:
    """Every valid portal key, oldest first; the last one signs."""
    global _registry
    registry = _registry
    if registry is None:
        with _lock:
            if _registry is None:
                spec = settings.LICENSING_SIGNING_KEYS or ""
                _registry = _parse_configured(spec) if spec.strip() else [_dev_key()]
            registry = _registry
    return registry


def current_signing_key() -> SigningKey:
    return signing_keys()[-1]


def public_keys() -> dict[str, Ed25519PublicKey]:
    """kid -> public key of every valid portal key (what verifies the portal's answers)."""
    return {key.kid: key.public_key for key in signing_keys()}


# The last key set sealed, with the keys and the second it was sealed for: an answer
# sealed in the same second carries the same statement (Ed25519 signs deterministically,
# so sealing it again would give the very same bytes).
_sealed: tuple[list[SigningKey], str, dict[str, Any]] | None = None


def key_set(*, now: datetime | None = None) -> dict[str, Any]:
    """Every valid portal key, signed by each of them (see envelope.key_set_seal)."""
    global _sealed
    keys = signing_keys()
    moment = now or datetime.now(UTC)
    second = envelope.format_timestamp(moment)
    sealed = _sealed
    if sealed is None or sealed[0] is not keys or sealed[1] != second:
        pairs = ((key.kid, key.private_key) for key in keys)
        statement = envelope.key_set_seal(pairs, now=moment)
        sealed = _sealed = (keys, second, statement)
    return sealed[2]


def sign(message_type: str, payload: Mapping[str, Any], *, now: datetime | None = None) -> str:
    """Seal ``payload`` as a ``message_type`` answer with the current portal key.

    Every answer also carries the portal's key set (``portal_keys``), so that a proxy
    that trusts an older key learns the current one from the answer itself.
    """
    key = current_signing_key()
    return envelope.seal(
        message_type=message_type,
        payload={**payload, "portal_keys": key_set(now=now)},
        private_key=key.private_key,
        kid=key.kid,
        now=now,
    )
