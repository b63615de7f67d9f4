"""Under /api/, every error is JSON in the APIs' one shape, ``{"error": {"code",
"message"}}`` — also the ones no API view sees: a path that resolves to nothing (a
``%0A`` in it, say), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a body nested too deep
to parse, a crash. Elsewhere the site's own error pages answer.

Django's error handlers (``handler400`` ... in myaccount/urls.py) and DRF's default
parser (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``) are the two ends where these
escape the API views' own exception handlers; :class:`ApiAnswersMiddleware` catches the
rest (issue 24, item 7):

- a path without its trailing slash answers ``308 Permanent Redirect`` to the path with
  it, with a JSON body (``trailing_slash``). Django's own answer was a 301 with an empty
  HTML body, which clients follow by re-sending a POST as a GET. A 308 keeps the method
  and the body (RFC 9110): a client that follows redirects does what was meant; one
  that does not reads why in the usual error shape. (A 404 would break clients that
  work today.)
- any other error status that reaches it in another format (the schema view's 405 in
  YAML, say) is answered in the error shape, with the same status and headers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path
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


# The code of an error status in the APIs' shape (core.errors), as the API views name them.
STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
}
# Headers of the original answer that still mean something on its JSON twin.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _missing_slash(request: HttpRequest) -> bool:
    """Django's APPEND_SLASH rule: no match as sent, a match with a slash appended."""
    if not settings.APPEND_SLASH or request.path_info.endswith("/"):
        return False
    urlconf = getattr(request, "urlconf", None)
    return not is_valid_path(request.path_info, urlconf) and bool(
        is_valid_path(f"{request.path_info}/", urlconf)
    )


def _slash_redirect(request: HttpRequest) -> HttpResponse:
    location = request.get_full_path(force_append_slash=True)
    response = _error(
        "trailing_slash",
        _("This address ends with a slash: %(location)s") % {"location": location},
        308,
    )
    response["Location"] = location
    return response


def _as_json(response: HttpResponse) -> HttpResponse:
    code = STATUS_CODES.get(response.status_code, "error")
    message = _("The request could not be answered (HTTP %(status)s).") % {
        "status": response.status_code
    }
    if response.status_code == 405:
        message = _("This method is not allowed here.")
    twin = _error(code, message, response.status_code)
    for header in KEPT_HEADERS:
        if header in response:
            twin[header] = response[header]
    return twin


class ApiAnswersMiddleware:
    """Under /api/: the missing slash as a JSON 308, every other error status in JSON.
    Sits before CommonMiddleware in MIDDLEWARE (it answers the slash first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_api(request):
            return self.get_response(request)
        if _missing_slash(request):
            request.get_host()  # an unknown Host is still a 400 (DisallowedHost)
            return _slash_redirect(request)
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            return _as_json(response)
        return response
