"""The browser's middleware, kept off the paths that only machines call.

The licensing API's known URLs do not reach this stack at all: myaccount/machine.py
sends them down a lean chain of their own. What is below still matters for the
machine paths that chain does not know (a 404, a missing slash), which take the whole
stack with these steps stepping aside.

The proxies' licensing API (``/api/licensing/``) carries no cookie: the signature of
each message is its authentication. Sessions, CSRF, authentication, messages, user
sessions and the current account would only cost each of its calls time (and database
queries, for a client that happens to send a session cookie). Each of them is listed in
``settings.MIDDLEWARE`` at its usual place as the subclass below, which steps aside for
paths under ``settings.MACHINE_PATH_PREFIXES``; the security headers (SecurityMiddleware,
XFrameOptionsMiddleware), static files and CommonMiddleware still run for every path.

Two stay as they are, named in ``MIDDLEWARE`` as their owners require (allauth's start-up
check, Django's deployment check): allauth's AccountMiddleware, which for these paths only
sets a context variable, and CsrfViewMiddleware, which finds no cookie and lets the
API's views through (DRF's views are CSRF-exempt; the signature is what protects them).
"""

from __future__ import annotations

from typing import Any

from allauth.usersessions.middleware import UserSessionsMiddleware as _UserSessionsMiddleware
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as _AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as _MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as _SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accounts.language import language_supported, time_zone_supported
from accounts.middleware import CurrentAccountMiddleware as _CurrentAccountMiddleware


def is_machine_path(request: HttpRequest) -> bool:
    """A path only machines call (no cookie, no browser): the licensing API."""
    return request.path_info.startswith(tuple(settings.MACHINE_PATH_PREFIXES))


class BrowserOnly:
    """Mixin: the middleware runs for browser paths and steps aside for machine paths."""

    get_response: Any

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_machine_path(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(BrowserOnly, _SessionMiddleware):
    pass


class AuthenticationMiddleware(BrowserOnly, _AuthenticationMiddleware):
    pass


class MessageMiddleware(BrowserOnly, _MessageMiddleware):
    pass


class UserSessionsMiddleware(BrowserOnly, _UserSessionsMiddleware):
    pass


class CurrentAccountMiddleware(BrowserOnly, _CurrentAccountMiddleware):
    pass


class UserLocaleMiddleware:
    """A signed-in user's Personal Profile wins: their language over the browser's and
    the footer's (on every device), their time zone for every date and time shown.

    Runs after AuthenticationMiddleware and inside LocaleMiddleware, which negotiated
    the language for everyone else and sets Content-Language from what is active here.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if is_machine_path(request) or user is None or not user.is_authenticated:
            return self.get_response(request)
        language = language_supported(user.language)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        zone = time_zone_supported(user.time_zone)
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
