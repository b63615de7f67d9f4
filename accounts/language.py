"""Whose language and time zone a page or an e-mail speaks.

A page speaks the language of the person reading it: their Personal Profile's language
once they set it (myaccount.middleware.UserLocaleMiddleware), else the footer's choice
or the browser's (Django's LocaleMiddleware). An e-mail speaks its recipient's: a user's
profile language, else the language of the request that caused it (an invitation to
someone without an account: the inviter's). Dates in both follow the reader's time zone.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils import timezone, translation


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
