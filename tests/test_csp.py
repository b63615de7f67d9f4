"""The Content-Security-Policy: no inline script or style on any page.

The browser tests run every page under this policy and fail on a violation in the
console (tests/e2e/conftest.py); these tests pin the policy itself and catch inline
code in the rendered HTML without a browser.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

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
