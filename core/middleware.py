"""One middleware stack, some of it stepping aside under given paths.

Django runs every middleware of ``MIDDLEWARE`` on every request. The portal's licensing
API (``/api/licensing/``) serves proxies: signed messages, no cookie, no session, no
user, no page. The middleware that serve people (the session, who is signed in, their
language and account, messages, the portal's 404 page) do nothing for it but their
own work of finding that out, a fifth of a proxy request. :func:`skipped_under` makes
such a middleware step aside for the paths under ``settings.MIDDLEWARE_SKIPPED_UNDER``:
the same class (a subclass, so every check that asks for it still finds it), at the
same place in the one stack, doing nothing there. The middleware every answer needs
(security headers, CSP, X-Frame-Options, the language of the error messages, JSON
errors under /api/) are never wrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

# The hooks Django's handler calls beside a middleware's __call__, and what each answers
# for a request the middleware steps aside for: nothing (the view, the exception go on
# to the next), or the response as it is.
_HOOKS: dict[str, Callable[..., Any]] = {
    "process_view": lambda *view: None,
    "process_exception": lambda exception: None,
    "process_template_response": lambda response: response,
}


def _hook(
    original: Callable[..., Any],
    skipped_answer: Callable[..., Any],
    skipped: Callable[[Any, Any], bool],
) -> Callable[..., Any]:
    def hook(self: Any, request: Any, *args: Any) -> Any:
        if skipped(self, request):
            return skipped_answer(*args)
        return original(self, request, *args)

    hook.__name__ = original.__name__
    return hook


def skipped_under(middleware: type) -> type:
    """`middleware` as a subclass that passes a request whose path is under one of
    ``settings.MIDDLEWARE_SKIPPED_UNDER`` straight on, with its view, exception and
    template-response hooks (if it has them) doing nothing for it either."""

    def _skipped(self: Any, request: Any) -> bool:
        return request.path_info.startswith(self._skipped_under)

    def __init__(self: Any, get_response: Any) -> None:
        middleware.__init__(self, get_response)
        self._next = get_response
        self._skipped_under = tuple(getattr(settings, "MIDDLEWARE_SKIPPED_UNDER", ()))

    def __call__(self: Any, request: Any) -> Any:
        if _skipped(self, request):
            return self._next(request)
        return middleware.__call__(self, request)

    namespace: dict[str, Any] = {
        "__init__": __init__,
        "__call__": __call__,
        "__module__": middleware.__module__,
        "__doc__": middleware.__doc__,
    }
    for name, skipped_answer in _HOOKS.items():
        if hasattr(middleware, name):
            namespace[name] = _hook(getattr(middleware, name), skipped_answer, _skipped)
    return type(middleware.__name__, (middleware,), namespace)
