"""How the Proxy Servers page writes its values (shared by the page and the CSV)."""

from __future__ import annotations

MASK = "•••••"


def license_key_mask(key: str) -> str:
    """Hide a license key but for its last group: •••••-•••••-…-WXYZ2.

    A key activates an installation, so the list never shows one whole; its last
    characters are enough to tell keys apart.
    """
    if not key:
        return ""
    last = key.rsplit("-", 1)[-1][-5:]
    return f"{MASK}-{MASK}-…-{last}"
