"""Fill untranslated entries of our catalogs from Django's and django-allauth's own.

Where the portal says exactly what Django or allauth says ("Sign In", "This field is
required."), it should say it the way their translators did: the templates that
override allauth's reuse its msgids. Run after `make messages-update`, before
translating the rest; entries it fills are marked fuzzy for review unless --trust.

    .venv/bin/python scripts/catalogs_prefill.py [--trust]
"""

from __future__ import annotations

import sys
from pathlib import Path

import allauth
import django
import polib

BASE = Path(__file__).resolve().parents[1]
SOURCES = [
    Path(allauth.__file__).parent / "locale",
    Path(django.__file__).parent / "conf" / "locale",
]
SOURCES += [Path(django.__file__).parent / "contrib" / app / "locale" for app in ("auth", "admin")]


def known(locale: str) -> dict[tuple[str, str], polib.POEntry]:
    found: dict[tuple[str, str], polib.POEntry] = {}
    for source in SOURCES:
        for domain in ("django", "djangojs"):
            path = source / locale / "LC_MESSAGES" / f"{domain}.po"
            if not path.exists():
                continue
            for entry in polib.pofile(str(path)):
                if entry.translated() and not entry.obsolete:
                    found.setdefault((entry.msgctxt or "", entry.msgid), entry)
    return found


def main(trust: bool) -> None:
    for catalog_dir in sorted((BASE / "locale").glob("*/LC_MESSAGES")):
        locale = catalog_dir.parent.name
        theirs = known(locale)
        for path in sorted(catalog_dir.glob("*.po")):
            catalog = polib.pofile(str(path))
            # makemessages leaves a template's header: say which language this is.
            catalog.metadata_is_fuzzy = False
            catalog.metadata["Language"] = locale
            catalog.metadata["Project-Id-Version"] = "MyAccount"
            catalog.metadata["Language-Team"] = f"MyAccount {locale} (locale/glossary/{locale}.md)"
            filled = 0
            for entry in catalog.untranslated_entries():
                match = theirs.get((entry.msgctxt or "", entry.msgid))
                if match is None or (match.msgid_plural or "") != (entry.msgid_plural or ""):
                    continue
                if entry.msgid_plural:
                    if len(match.msgstr_plural) != len(entry.msgstr_plural or {0: "", 1: ""}):
                        continue
                    entry.msgstr_plural = dict(match.msgstr_plural)
                else:
                    entry.msgstr = match.msgstr
                if not trust:
                    entry.flags.append("fuzzy")
                filled += 1
            catalog.save()
            print(f"{path.relative_to(BASE)}: {filled} filled from Django/allauth")


if __name__ == "__main__":
    main(trust="--trust" in sys.argv)
