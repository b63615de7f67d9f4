"""The Content-Security-Policy: no inline script or style on any page.

The browser tests run every page under this policy and fail on a violation in the
console (tests/e2e/conftest.py); these tests pin the policy itself and catch inline
code in the rendered HTML without a browser.
"""

from __future__ import annotations

import re

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp, csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils.module_loading import import_string

INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
    r"|<style\b|\sstyle=\"|\son[a-z]+=\"",
    re.IGNORECASE,
)


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.mark.django_db
def test_every_page_is_served_with_a_policy_that_allows_no_inline_script_or_style(client):
    policy = _policy(client.get(reverse("terms")))

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "dashboard",
        "subscription_list",
        "proxy_list",
        "usage_reports",
        "offline_operations",
        "business_profile",
        "business_users",
        "audit_log",
        "invite_users",
        "personal_profile",
        "security_settings",
        "api_tokens",
        "register_key",
        "account_change_password",
        "mfa_index",
        "usersessions_list",
    ],
)
def test_the_pages_an_administrator_sees_carry_no_inline_script_or_style(alice_client, name):
    response = alice_client.get(reverse(name), follow=True)

    assert response.status_code == 200
    assert INLINE.findall(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_the_pages_a_visitor_sees_carry_no_inline_script_or_style(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert INLINE.findall(response.content.decode()) == []


@pytest.mark.django_db
def test_the_api_documentation_loads_its_script_from_a_file(client):
    response = client.get(reverse("api_docs"))

    assert response.status_code == 200
    assert INLINE.findall(response.content.decode()) == []


# The CSP middleware the portal runs (MIDDLEWARE): each case below must get the very
# headers django-csp's own middleware gives it, whatever the portal puts in its place.
CSPMiddleware = import_string(next(m for m in settings.MIDDLEWARE if m.endswith(".CSPMiddleware")))

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def _headers(middleware_class, view, path="/terms/"):
    request = RequestFactory().get(path)
    response = middleware_class(view)(request)
    return {name: response.headers.get(name) for name in HEADERS}, request


def _ours_and_django_csps(view, path="/terms/"):
    ours, request = _headers(CSPMiddleware, view, path)
    theirs, _ = _headers(DjangoCSPMiddleware, view, path)
    return ours, theirs, request


def _directives(headers):
    return {name: value and sorted(value.split("; ")) for name, value in headers.items()}


def _page(request):
    return HttpResponse("page")


def test_a_response_without_nonce_or_decorator_gets_the_configured_policy():
    ours, theirs, request = _ours_and_django_csps(_page)

    assert _directives(ours) == _directives(theirs)
    assert "script-src 'self'" in ours["Content-Security-Policy"]
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_page_that_uses_its_nonce_gets_it_in_its_policy(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    seen = []

    def page(request):
        seen.append(str(request.csp_nonce))
        return HttpResponse("page")

    first, _ = _headers(CSPMiddleware, page)
    second, _ = _headers(CSPMiddleware, page)

    assert "script-src 'self' 'nonce-" + seen[0] + "'" in first["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" + seen[1] + "'" in second["Content-Security-Policy"]
    assert seen[0] != seen[1]


@pytest.mark.parametrize(
    "decorator",
    [
        csp_update({"img-src": ["https://example.com"]}),
        csp_replace({"script-src": ["https://example.com"]}),
        csp({"default-src": ["https://example.com"]}),
        csp_exempt(),
    ],
)
def test_a_decorated_view_keeps_its_own_policy(decorator):
    ours, theirs, _ = _ours_and_django_csps(decorator(_page))

    assert _directives(ours) == _directives(theirs)
    assert (
        ours["Content-Security-Policy"] is None
        or "https://example.com" in (ours["Content-Security-Policy"])
    )


def test_a_changed_setting_changes_the_policy_report_only_and_excluded_paths_too(settings):
    settings.CONTENT_SECURITY_POLICY = {
        "EXCLUDE_URL_PREFIXES": ["/excluded/"],
        "DIRECTIVES": {"default-src": ["'none'"]},
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report/"}
    }

    ours, theirs, _ = _ours_and_django_csps(_page)
    excluded, theirs_excluded, _ = _ours_and_django_csps(_page, "/excluded/page/")

    assert (
        ours
        == theirs
        == {
            "Content-Security-Policy": "default-src 'none'",
            "Content-Security-Policy-Report-Only": "default-src 'self'; report-uri /csp-report/",
        }
    )
    assert excluded == theirs_excluded
    assert excluded["Content-Security-Policy"] is None
