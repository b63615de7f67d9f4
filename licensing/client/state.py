"""The proxy's state directory: its installation key and ``state.json``.

``installation.key`` is the Ed25519 private key (PEM, mode 0600) that signs every
request of this installation. ``state.json`` holds everything else. Writes are
atomic (temporary file + ``os.replace``) so a crash never leaves half a file, and
commands hold an exclusive lock so two runs cannot interleave read-modify-write.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licensing.client import envelope

try:  # POSIX only; elsewhere the lock is skipped.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

STATE_FILE = "state.json"
KEY_FILE = "installation.key"
LOCK_FILE = ".lock"
SCHEMA = 1


class StateError(Exception):
    """The state directory is missing, corrupt or not in the state a command needs."""


def write_atomic(path: Path, text: str, *, mode: int = 0o600) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


class StateDir:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def state_file(self) -> Path:
        return self.path / STATE_FILE

    @property
    def key_file(self) -> Path:
        return self.path / KEY_FILE

    def is_initialised(self) -> bool:
        return self.state_file.exists() or self.key_file.exists()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        if fcntl is None or not self.path.is_dir():
            yield
            return
        with open(self.path / LOCK_FILE, "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def create(self, *, private_key: Ed25519PrivateKey, state: dict[str, Any]) -> None:
        """Create the directory, the key file (0600, never overwritten) and the state."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.is_initialised():
            raise StateError(f"{self.path} is already initialised")
        # O_EXCL: never clobber an existing key, even if two inits race.
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(envelope.private_key_pem(private_key))
        os.chmod(self.key_file, 0o600)
        self.save(state)

    def load(self) -> dict[str, Any]:
        if not self.state_file.exists():
            raise StateError(
                f"{self.path} is not initialised; run 'pmm-proxy --state {self.path} init' first"
            )
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise StateError(f"{self.state_file} is corrupt (not valid JSON)") from None
        if not isinstance(state, dict) or state.get("schema") != SCHEMA:
            raise StateError(f"{self.state_file} is not a pmm-proxy state file this version reads")
        return state

    def save(self, state: dict[str, Any]) -> None:
        write_atomic(self.state_file, json.dumps(state, indent=2, sort_keys=True) + "\n")

    def private_key(self) -> Ed25519PrivateKey:
        try:
            pem = self.key_file.read_bytes()
        except FileNotFoundError:
            raise StateError(f"{self.key_file} is missing") from None
        try:
            return envelope.load_private_key_pem(pem)
        except envelope.BadKey:
            raise StateError(f"{self.key_file} is not a valid Ed25519 private key") from None
