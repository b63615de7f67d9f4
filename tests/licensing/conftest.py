"""Licensing fixtures: alice's company has a subscription of 5 licenses with a primary
key; an installation ("the proxy") holds its own key pair."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

import pytest
from django.test import Client

from licensing import signing
from tests.licensing import factories
from tests.licensing.factories import PORTAL


@pytest.fixture(autouse=True)
def _portal_key(tmp_path_factory, settings):
    # Every test signs with a development key of its own, never the developer's.
    settings.LICENSING_SIGNING_KEYS = ""
    settings.LICENSING_DEV_KEY_DIR = tmp_path_factory.mktemp("portal-key")
    settings.LICENSING_DEV_KEY_ALLOWED = True
    signing.registry_reset()
    yield
    signing.registry_reset()


@pytest.fixture
def subscription(company):
    return factories.subscription_make(company, licenses=5, offline=True)


@pytest.fixture
def online_only_subscription(company):
    return factories.subscription_make(company, licenses=3, offline=False)


@pytest.fixture
def primary_key(subscription):
    return factories.primary_key_make(subscription)


@pytest.fixture
def proxy():
    return factories.Installation()


@pytest.fixture
def other_proxy():
    return factories.Installation(server_name="pmm.branch.example", site_code="BR")


# --- the real portal over "HTTP" -----------------------------------------------------------


class _Answer:
    """Enough of urllib's response for the client: a status and a body."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self._body = io.BytesIO(body)

    def read(self, size: int = -1) -> bytes:
        return self._body.read(size)

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._body.close()


@pytest.fixture
def portal(monkeypatch) -> list[str]:
    """Route pmm-proxy's urlopen for PORTAL to the real portal through the Django test
    client; lists the paths it called."""
    api = Client(enforce_csrf_checks=True)  # a proxy has no session and no CSRF token
    calls: list[str] = []

    def urlopen(request: urllib.request.Request, timeout: float | None = None) -> _Answer:
        url = request.full_url
        assert url.startswith(f"{PORTAL}/api/licensing/"), url
        path = url.removeprefix(PORTAL)
        calls.append(path)
        if request.data is None:
            response = api.get(path, HTTP_ACCEPT="application/json")
        else:
            assert request.get_header("Content-type") == "application/json"
            response = api.post(path, data=request.data, content_type="application/json")
        if response.status_code >= 400:
            headers = Message()
            for name, value in response.items():
                headers[name] = value
            raise urllib.error.HTTPError(
                url, response.status_code, response.reason_phrase, headers,
                io.BytesIO(response.content),
            )  # fmt: skip
        return _Answer(response.status_code, response.content)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return calls
