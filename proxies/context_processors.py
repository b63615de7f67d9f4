"""The navigation's "Proxy Servers (N)" on every page that shows it, counted by the app
that owns the servers (and only when a template shows it)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from proxies.selectors import proxy_server_total


def proxy_servers(request: HttpRequest) -> dict:
    account = getattr(request, "account", None)
    viewer = getattr(request, "membership", None)
    return {
        "proxy_server_total": SimpleLazyObject(
            lambda: proxy_server_total(account=account, viewer=viewer)
        )
    }
