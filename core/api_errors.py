"""Under /api/, every error is JSON in the APIs' one shape, ``{"error": {"code",
"message"}}`` — also the ones no API view sees: a path that resolves to nothing (a
``%0A`` in it, say), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a body nested too deep
to parse, a crash. Elsewhere the site's own error pages answer.

Django's error handlers (``handler400`` ... in myaccount/urls.py) and DRF's default
parser (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``) are the two ends where these
escape the API views' own exception handlers.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.errors import error_body

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return _error("request_too_large", _("The request body is too large."), 413)
    return _error("bad_request", _("The request is malformed."), 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _error("permission_denied", _("You do not have permission to do this."), 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _error("not_found", _("No such API endpoint or object."), 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return _error("server_error", _("Something went wrong on our side; try again later."), 500)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested deeper than Python's recursion limit a
    parse error (400) like any other malformed JSON, not a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None
