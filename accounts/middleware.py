from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.current import resolve_current_membership


class CurrentAccountMiddleware:
    """Attach the account the user works in to every request.

    The membership is read from the database on each request, so a role change
    or a block takes effect on the member's very next request, not at next login.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        resolve_current_membership(request)
        return self.get_response(request)
