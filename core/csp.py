"""django-csp's middleware, its policy built once per configuration.

django-csp 4 builds the Content-Security-Policy header anew for every response: it
copies the configuration's thirty-odd directives, and does it again for the
report-only header, a sixth of a licensing API request. What it builds depends only on
the settings (``CONTENT_SECURITY_POLICY``, ``CONTENT_SECURITY_POLICY_REPORT_ONLY``)
unless the request used its nonce (``request.csp_nonce``) or a view's decorator gave the
response a policy of its own (``@csp``, ``@csp_update``, ``@csp_replace``). For every
other response this subclass (django-csp's documented way to change its middleware)
sets the two headers django-csp's own ``build_policy`` made for the configuration, once
until a setting changes; for those it hands the response to django-csp unchanged.
"""

from __future__ import annotations

import http.client as http_client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view's decorators set on a response to give it a policy of its own.
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_EXEMPT = (http_client.INTERNAL_SERVER_ERROR, http_client.NOT_FOUND)

# (header, policy, the response attribute that exempts from it, the excluded path
# prefixes) for each of the two headers, as the settings say; None until first needed.
_Policies = tuple[tuple[str, str, str, tuple[str, ...]], ...]
_configured: _Policies | None = None


def _policies() -> _Policies:
    global _configured
    if _configured is None:
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
        _configured = (
            (
                HEADER,
                build_policy(),
                "_csp_exempt",
                tuple(enforced.get("EXCLUDE_URL_PREFIXES", None) or ()),
            ),
            (
                HEADER_REPORT_ONLY,
                build_policy(report_only=True),
                "_csp_exempt_ro",
                tuple(report_only.get("EXCLUDE_URL_PREFIXES", None) or ()),
            ),
        )
    return _configured


@receiver(setting_changed)
def _configuration_changed(setting: str, **kwargs: Any) -> None:
    global _configured
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        _configured = None


class CSPMiddleware(_DjangoCSPMiddleware):
    def process_response(self, request: Any, response: Any) -> Any:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        for header, policy, exempt, prefixes in _policies():
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
