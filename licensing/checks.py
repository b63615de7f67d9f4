"""System checks: a portal that cannot sign licensing answers must not start.

Without them, production (DEBUG off, no LICENSING_SIGNING_KEYS) started, /healthz said
all was well and every licensing call failed. `manage.py check` (and so `migrate`,
`runserver` and the WSGI start-up in myaccount/wsgi.py) now fails saying what to set.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from licensing import signing

TAG = "licensing"


@checks.register(TAG)
def signing_keys_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        signing.configuration_check()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="licensing.E001")]
    return []


@checks.register(TAG, deploy=True)
def development_key_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        mode = signing.configuration_check()
    except ImproperlyConfigured:
        return []  # licensing.E001 says it
    if mode == "development" and not settings.DEBUG:
        return [
            checks.Warning(
                "Licensing answers are signed with a development key generated on this "
                "machine (LICENSING_DEV_KEY_ALLOWED is on while DEBUG is off).",
                hint="Create a key (`openssl genpkey -algorithm ed25519 -out portal.pem`), "
                "set LICENSING_SIGNING_KEYS=portal-1=/path/to/portal.pem and unset "
                "LICENSING_DEV_KEY_ALLOWED.",
                id="licensing.W001",
            )
        ]
    return []
