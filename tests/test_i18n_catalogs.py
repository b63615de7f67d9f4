"""The catalogs are complete: every marked string is in them and every one is translated.

`manage.py catalogs_update` (makemessages for every language) is run on a copy of the
code: it must find no msgid that the committed catalogs lack and none they no longer
need. And every catalog of every language has no untranslated and no fuzzy entry.
Placeholders are checked when the catalogs are compiled (`make messages`: msgfmt
--check-format refuses a translation whose %(name)s differ from the English).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from myaccount.management.commands.catalogs_update import IGNORE, catalog_locales

BASE = Path(settings.BASE_DIR)
DOMAINS = ["django", "djangojs"]


def _catalog(root: Path, locale: str, domain: str) -> Path:
    return root / "locale" / locale / "LC_MESSAGES" / f"{domain}.po"


def _msgids(path: Path) -> set[tuple[str, str, str]]:
    return {(e.msgctxt or "", e.msgid, e.msgid_plural or "") for e in polib.pofile(str(path))}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """A copy of the code with its catalogs regenerated from the marked strings."""
    copy = tmp_path_factory.mktemp("catalogs") / "src"
    top_ignored = {name for name in IGNORE if "/" not in name}
    shutil.copytree(
        BASE,
        copy,
        ignore=lambda folder, names: [
            n for n in names if n in top_ignored or n.endswith((".mo", ".pyc", ".sqlite3"))
        ],
    )
    subprocess.run(
        [sys.executable, "manage.py", "catalogs_update", "--verbosity", "0"],
        cwd=copy,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    return copy


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", catalog_locales())
def test_the_catalog_holds_exactly_the_marked_strings(regenerated, locale, domain):
    committed = _catalog(BASE, locale, domain)
    assert committed.exists(), f"{committed} is missing: run `make messages-update`"
    fresh = _msgids(_catalog(regenerated, locale, domain))
    known = _msgids(committed)

    assert sorted(fresh - known) == [], "marked but not in the catalog: `make messages-update`"
    assert sorted(known - fresh) == [], "in the catalog but no longer marked"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", catalog_locales())
def test_every_string_is_translated(locale, domain):
    catalog = polib.pofile(str(_catalog(BASE, locale, domain)))

    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []
    assert not catalog.metadata_is_fuzzy
    assert catalog.metadata["Language"] == locale


def test_every_language_has_its_glossary():
    for locale in catalog_locales():
        glossary = BASE / "locale" / "glossary" / f"{locale}.md"
        assert glossary.exists(), glossary
        # The guide's terms, each with its translation.
        text = glossary.read_text()
        for term in ("Subscription", "License Key", "Sublicense", "Proxy Server"):
            assert term in text, (locale, term)
