"""Whose language and time zone a page or an e-mail speaks.

A page speaks the language of the person reading it: their Personal Profile's language
once they set it (myaccount.middleware.UserLocaleMiddleware), else the footer's choice
or the browser's (Django's LocaleMiddleware). An e-mail speaks its recipient's: a user's
profile language, else the language of the request that caused it (an invitation to
someone without an account: the inviter's). Dates in both follow the reader's time zone.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import icu
from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext, to_locale
from django_countries import countries


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def language_supported(code: str | None) -> str:
    """`code` if the portal speaks it (de-at counts as de), else ""."""
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code.lower())
    except LookupError:
        return ""


def language_current() -> str:
    """The language active now, as one of settings.LANGUAGES."""
    return language_supported(translation.get_language()) or settings.LANGUAGE_CODE


def time_zone_supported(name: str | None) -> str:
    return name if name and name in time_zone_names() else ""


# --- Lists in the reader's language ---------------------------------------------------
#
# Names come from CLDR (Babel for time zones, django-countries' catalogs for countries),
# the order from ICU's collation for the language, and the continents from ICU's region
# data: no hand-written list of names. Computed once per language.


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own name ("English", "Deutsch", "日本語"), whatever the page's
    language: the name a reader looks for is the one of their language."""
    return list(settings.LANGUAGES)


def _babel_locale(language: str) -> Locale:
    return Locale.parse(to_locale(language_supported(language) or settings.LANGUAGE_CODE))


def collation_key(language: str) -> Callable[[str], bytes]:
    """Sort key of `language`'s collation (ICU): 阿富汗, 德国 ... by pinyin in Chinese,
    kana order in Japanese, Ä beside A in German."""
    collator = icu.Collator.createInstance(icu.Locale(str(_babel_locale(language))))
    return collator.getSortKey


def country_choices() -> list[tuple[str, str]]:
    """Every country, named and sorted in the active language."""
    language = language_current()
    return _country_choices(language)


@cache
def _country_choices(language: str) -> list[tuple[str, str]]:
    with translation.override(language):
        named = [(code, str(name).strip()) for code, name in countries]
    key = collation_key(language)
    return sorted(named, key=lambda choice: key(choice[1]))


# Offered first, above the continents: the zones most of our customers live in. Which
# zones, not their names: those come from CLDR in the reader's language.
COMMON_TIME_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def time_zones_offered() -> frozenset[str]:
    """The zones a person can choose: CLDR's canonical zone of each place, not the tz
    database's aliases, legacy and technical names ("Asia/Calcutta", "W-SU", "Factory",
    "localtime", "Etc/GMT+5")."""
    return _time_zones_offered()


@cache
def _time_zones_offered() -> frozenset[str]:
    # A place's zone belongs to a country; "001" (world: EST5EDT ...) and "ZZ" (unknown:
    # Etc/GMT+5 ...) are technical.
    places = {
        name
        for name, territory in get_global("zone_territories").items()
        if territory.isalpha() and territory != "ZZ"
    }
    return frozenset(places) & time_zone_names()


def time_zone_canonical(name: str) -> str:
    """The offered zone an alias stands for ("Asia/Calcutta" → "Asia/Kolkata"), else ""."""
    name = get_global("zone_aliases").get(name, name)
    return name if name in time_zones_offered() else ""


def time_zone_label(name: str, language: str) -> str:
    """ "Deutschland (Berlin)", "ドイツ（ベルリン）": CLDR's country and city, in CLDR's
    pattern for the language."""
    locale = _babel_locale(language)
    territory = get_global("zone_territories").get(name, "")
    city = get_timezone_location(name, locale=locale, return_city=True)
    country = locale.territories.get(territory, "")
    if not country or country == city:
        return city
    return locale.zone_formats["fallback"] % {"0": city, "1": country}


def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The offered zones grouped for a <select>: the common zones first, then one group
    per continent; names in the active language, sorted by its collation."""
    return _time_zone_choices(language_current())


def _continent(name: str) -> str:
    territory = get_global("zone_territories")[name]
    region = icu.Region.getInstance(territory).getContainingRegion(icu.URegionType.CONTINENT)
    # Antarctica belongs to no continent in ICU's data: it is its own group.
    return region.getRegionCode() if region is not None else territory


@cache
def _time_zone_choices(language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    locale = _babel_locale(language)
    key = collation_key(language)

    def ordered(names: Iterable[str]) -> list[tuple[str, str]]:
        labelled = [(name, time_zone_label(name, language)) for name in names]
        return sorted(labelled, key=lambda choice: key(choice[1]))

    continents: dict[str, list[str]] = {}
    for name in time_zones_offered() - set(COMMON_TIME_ZONES):
        continents.setdefault(_continent(name), []).append(name)
    groups = sorted(
        ((locale.territories[code], ordered(names)) for code, names in continents.items()),
        key=lambda group: key(group[0]),
    )
    with translation.override(language):
        common = gettext("Common time zones")
    return [(common, ordered(COMMON_TIME_ZONES)), *groups]


@dataclass(frozen=True)
class Recipient:
    """An e-mail address with the language and time zone its e-mails are written in
    (blank: the language active when the e-mail is written, and the portal's zone)."""

    email: str
    language: str = ""
    time_zone: str = ""


@contextmanager
def locale_override(*, language: str = "", time_zone: str = "") -> Iterator[None]:
    """Render in this language and time zone; blank keeps what is active."""
    with (
        translation.override(language_supported(language) or language_current()),
        timezone.override(time_zone_supported(time_zone) or timezone.get_current_timezone()),
    ):
        yield


def recipients_by_locale(
    recipients: Iterable[Recipient],
) -> dict[tuple[str, str], list[str]]:
    """Group addresses by (language, time zone): one e-mail per group, in its locale."""
    groups: dict[tuple[str, str], list[str]] = {}
    for recipient in recipients:
        key = (
            language_supported(recipient.language) or language_current(),
            time_zone_supported(recipient.time_zone),
        )
        groups.setdefault(key, []).append(recipient.email)
    return groups
