"""The portal's own middleware: a signed-in user's language and time zone."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accounts.language import language_supported, time_zone_supported


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
        if user is None or not user.is_authenticated:
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
