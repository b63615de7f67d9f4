"""The portal's own not-found page (templates/404.html, JSON under /api/) with DEBUG on
too, as under `make run`: an outdated link there showed Django's debug 404, which lists
the URL patterns, to whoever tried the demo.

Django answers a 404 with its technical page whenever DEBUG is on and never calls
handler404; this middleware answers first, the same way handler404 does with DEBUG off,
so the page is the same in both. Innermost in MIDDLEWARE: CommonMiddleware still turns
a 404 for a path without its slash into a redirect.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver

from core.api_errors import page_not_found


class NotFoundPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A path no URL pattern matches fails before any view, where process_exception
        # does not see it.
        try:
            get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        except Resolver404 as exception:
            return page_not_found(request, exception)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
