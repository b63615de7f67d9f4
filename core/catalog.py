"""The strings of static/js/app.js (locale/*/djangojs.po) in the language its URL names.

The page links the catalog of the language it is written in (`/jsi18n/de/`), so a
browser holds one catalog per language and never answers a German page with the English
strings it kept from before its reader changed language (the profile's language changes
neither the address nor the Accept-Language a cache could vary on). Each answer carries
the time this process started as its Last-Modified: nothing changes a catalog but a
deploy, so a browser that has it gets 304 Not Modified (Django's documented recipe).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog

STARTED_AT = timezone.now()  # when this process started: no catalog changed since


@method_decorator(last_modified(lambda request, **kwargs: STARTED_AT), name="get")
class LanguageCatalog(JavaScriptCatalog):
    packages = ["myaccount"]

    def get(self, request: HttpRequest, *args, language: str, **kwargs) -> HttpResponse:
        if language not in dict(settings.LANGUAGES):
            raise Http404("No such language.")
        with translation.override(language):
            return super().get(request, *args, **kwargs)
