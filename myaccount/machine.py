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
- XFrameOptionsMiddleware and CSPMiddleware — the same headers as every answer.

What it leaves out does nothing for these requests: static files (WhiteNoise serves
``STATIC_URL`` only), CSRF (DRF's views are exempt; no cookie authenticates them), and
sessions, authentication, messages, user sessions, the current account and allauth's
context (myaccount/middleware.py already steps them aside for these paths). Any other
path, and a machine path the licensing URLconf does not know (a 404, a missing slash),
goes down the whole stack as before.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils.module_loading import import_string

from myaccount.middleware import is_machine_path

MACHINE_URLCONF = "myaccount.machine_urls"
# Kept on the lean path, in the order settings.MIDDLEWARE lists them.
MACHINE_MIDDLEWARE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "csp.middleware.CSPMiddleware",
    }
)


class MachinePathMiddleware:
    """Sends the licensing API's requests down a chain of their own (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.resolver = get_resolver(MACHINE_URLCONF)
        handler = convert_exception_to_response(self._view)
        for path in reversed(settings.MIDDLEWARE):
            if path in MACHINE_MIDDLEWARE:
                handler = convert_exception_to_response(import_string(path)(handler))
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
