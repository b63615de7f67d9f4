"""Bring the translation catalogs in locale/ up to date with the marked strings.

One command for the developer (`make messages-update`) and for the catalog check in
`make test` (tests/test_i18n_catalogs.py), so both read the code the same way: every
language of settings.LANGUAGES but the source's English, the Python and template
strings (django.po) and those of static/js (djangojs.po), no line numbers (a moved
line is no change), and strings no longer in the code dropped.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import to_locale

# Not the portal's code: the virtualenv, tests and tools, build output.
IGNORE = [
    ".venv",
    ".git",
    "tests",
    "bench",
    "scripts",
    "staticfiles",
    "test-artifacts",
    "media",
    "node_modules",
    "licensing/client",  # pmm-proxy: a command-line tool without Django
]


def catalog_locales() -> list[str]:
    """The locales with a catalog: every language but English, the source's."""
    return [to_locale(code) for code, _name in settings.LANGUAGES if code != "en"]


class Command(BaseCommand):
    help = "Update locale/*/LC_MESSAGES/django.po and djangojs.po from the marked strings."

    def handle(self, *args, **options) -> None:
        common = {
            "locale": catalog_locales(),
            "ignore_patterns": IGNORE,
            "no_location": True,
            "no_obsolete": True,
            "verbosity": options["verbosity"],
        }
        call_command("makemessages", domain="django", **common)
        call_command("makemessages", domain="djangojs", **common)
