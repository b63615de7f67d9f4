"""A lean request path for the URLs only machines call: the licensing API.

Every proxy in the field calls ``/api/licensing/``: no browser, no cookie, the signature
of each message its authentication. ``MachinePathMiddleware`` comes first in
``settings.MIDDLEWARE``; a request under ``settings.MACHINE_PATH_PREFIXES`` whose path
the machine URLconf (``myaccount.machine_urls``: the licensing API's five URLs, not
the site's hundreds) resolves goes through a chain of its own, of only the middleware
that means something for it, in their order in ``MIDDLEWARE``:

- SecurityMiddleware — HTTPS redirect, HSTS, nosniff, Referrer-Policy;
- CommonMiddleware — the Host header checked against ALLOWED_HOSTS, Content-Length;
- LocaleMiddleware — the human ``message`` of an error in the caller's Accept-Language
  (the ``code`` stays English);
- XFrameOptionsMiddleware and CSPMiddleware — the same headers as every answer; the
  Content-Security-Policy value is worked out once (:class:`MachineCSPMiddleware`), not
  assembled from the settings for every answer.

What it leaves out does nothing for these requests: static files (WhiteNoise serves
``STATIC_URL`` only), CSRF (DRF's views are exempt; no cookie authenticates them), and
sessions, authentication, messages, user sessions, the current account and allauth's
context (myaccount/middleware.py already steps them aside for these paths). Any other
path, and a machine path the licensing URLconf does not know (a 404, a missing slash),
goes down the whole stack as before.
"""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils.module_loading import import_string

from myaccount.middleware import is_machine_path

MACHINE_URLCONF = "myaccount.machine_urls"
CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
# Kept on the lean path, in the order settings.MIDDLEWARE lists them; the value: the
# class that stands in for it there.
MACHINE_MIDDLEWARE = {
    "django.middleware.security.SecurityMiddleware": None,
    "django.middleware.locale.LocaleMiddleware": None,
    "django.middleware.common.CommonMiddleware": None,
    "django.middleware.clickjacking.XFrameOptionsMiddleware": None,
    CSP_MIDDLEWARE: "myaccount.machine.MachineCSPMiddleware",
}
# What a view or a template may set to change an answer's policy (django-csp).
_CSP_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_DEBUG_EXEMPT = (http.HTTPStatus.INTERNAL_SERVER_ERROR, http.HTTPStatus.NOT_FOUND)


class MachineCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with the policy worked out once per configuration: it
    assembled the same header from the settings for every answer (a tenth of the CPU of
    a public-keys request). An answer that asks for its own policy or used a nonce (none
    of the licensing API's does) still takes django-csp's own path."""

    _cached: tuple[Any, Any, tuple[str, str, tuple[str, ...], tuple[str, ...]]] | None = None

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        # One for every answer: reading it raises, so it never holds a value.
        self._post_response_nonce = CheckableLazyObject(self._csp_nonce_post_response)

    def _policies(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        cached = self._cached
        if cached is None or cached[0] is not config or cached[1] is not report_only:
            values = (
                build_policy(),
                build_policy(report_only=True),
                tuple((config or {}).get("EXCLUDE_URL_PREFIXES") or ()),
                tuple((report_only or {}).get("EXCLUDE_URL_PREFIXES") or ()),
            )
            cached = self._cached = (config, report_only, values)
        return cached[2]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _CSP_OVERRIDES)
            or (settings.DEBUG and response.status_code in _DEBUG_EXEMPT)
        ):
            return super().process_response(request, response)
        policy, policy_report_only, excluded, excluded_report_only = self._policies()
        path = request.path_info
        if policy and HEADER not in response and not path.startswith(excluded):
            response[HEADER] = policy
        if (
            policy_report_only
            and HEADER_REPORT_ONLY not in response
            and not path.startswith(excluded_report_only)
        ):
            response[HEADER_REPORT_ONLY] = policy_report_only
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = self._post_response_nonce
        return response


class MachinePathMiddleware:
    """Sends the licensing API's requests down a chain of their own (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.resolver = get_resolver(MACHINE_URLCONF)
        handler = convert_exception_to_response(self._view)
        for path in reversed(settings.MIDDLEWARE):
            if path in MACHINE_MIDDLEWARE:
                middleware = import_string(MACHINE_MIDDLEWARE[path] or path)
                handler = convert_exception_to_response(middleware(handler))
        self.machine_chain = handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_machine_path(request):
            try:
                request.resolver_match = self.resolver.resolve(request.path_info)
            except Resolver404:
                pass
            else:
                return self.machine_chain(request)
        return self.get_response(request)

    @staticmethod
    def _view(request: HttpRequest) -> HttpResponse:
        """Django's view step (BaseHandler._get_response) for an API view resolved above:
        none of the kept middleware has process_view or a template-response hook."""
        match = request.resolver_match
        response = match.func(request, *match.args, **match.kwargs)
        if response is None:
            raise ValueError(f"The view {match.func!r} didn't return an HttpResponse object.")
        if callable(getattr(response, "render", None)):
            response = response.render()
        return response
