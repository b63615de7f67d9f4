"""Small request helpers shared by the apps' views."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` the form or link carries, if it stays on this site; else `default`.

    Never an open redirect: another host, another scheme or a protocol-relative URL
    falls back to `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default
