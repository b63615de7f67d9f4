"""An installation activated, refreshed and deactivated offline, against the portal as
operators run it: pmm-proxy pinned from ``manage.py licensing_public_key --json``, files
carried to the Offline Activation and Validation page by an Account Administrator."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from licensing.client import envelope
from proxies.models import ProxyServer
from tests.licensing import factories
from tests.production.stack import Browser, Config, ProxyInstallation, manage

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]

STATIC_REFERENCE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")


def carry(browser: Browser, request_file: Path, answer_file: Path) -> str:
    """Upload a request file, confirm, download the answer file: the page's three steps."""
    browser.get("/offline/")
    text = request_file.read_bytes()
    browser.submit(having="step", files={"request_file": (request_file.name, text, "text/plain")})
    browser.submit(having="request_text")
    [link] = browser.links(r"^/offline/answers/")
    answer = browser.download(link)
    answer_file.write_text(answer)
    return answer


def test_an_offline_installation_lives_its_whole_life_through_files(
    portal, config: Config, company, alice_browser: Browser, proxy_host: ProxyInstallation
):
    today = timezone.localdate()
    subscription = factories.subscription_make(
        company,
        licenses=5,
        offline=True,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=335),
    )
    key = factories.primary_key_make(subscription).key
    host = proxy_host.state.parent
    pin = host / "portal-key.json"
    pin.write_text(manage(config, "licensing_public_key", "--json").stdout)

    proxy_host.ok("init", "--server-name", "pmm.alice.example", "--site-code", "HQ",
                  "--portal-public-key", str(pin))  # fmt: skip
    assert proxy_host.status()["portal_key_ids"] == ["portal-1"]

    # Activation
    proxy_host.ok("activate", "--key", key, "--offline-request", str(host / "activate.txt"))
    answer = carry(alice_browser, host / "activate.txt", host / "activation-answer.txt")
    assert envelope.peek(answer).kid == "portal-1"
    proxy_host.ok("import", str(host / "activation-answer.txt"))
    status = proxy_host.status()
    assert (status["status"], status["activation_method"]) == ("active", "offline")
    assert (status["license_key"], status["licenses"], status["used"]) == (key, 5, 0)

    # Refresh, carrying the usage recorded since
    proxy_host.ok("report", "--computers", "3")
    proxy_host.ok("refresh", "--offline-request", str(host / "refresh.txt"))
    carry(alice_browser, host / "refresh.txt", host / "refresh-answer.txt")
    proxy_host.ok("import", str(host / "refresh-answer.txt"))
    status = proxy_host.status()
    assert (status["used"], status["remaining"], status["usage_reported"]) == (3, 2, True)

    # Deactivation: the proxy stops at once, the key is freed when the file is uploaded
    proxy_host.ok("deactivate", "--offline-request", str(host / "deactivate.txt"))
    assert ProxyServer.objects.get().status == ProxyServer.Status.ACTIVE
    carry(alice_browser, host / "deactivate.txt", host / "deactivation-answer.txt")
    assert "confirmed" in proxy_host.ok("import", str(host / "deactivation-answer.txt"))

    assert proxy_host.status()["status"] == "deactivated"
    assert ProxyServer.objects.get().status == ProxyServer.Status.DEACTIVATED


def test_pages_link_the_collected_static_files_and_whitenoise_serves_them(
    portal, alice_browser: Browser
):
    page = alice_browser.get("/offline/")

    references = STATIC_REFERENCE.findall(page.text)
    assert references, "the page links no static file"
    for href in references:
        assert HASHED.search(href), f"{href} is not a name from the collected manifest"
        response = alice_browser.session.get(
            alice_browser.url(href), verify=alice_browser.verify, timeout=60
        )
        assert response.status_code == 200, href
        # Hashed names never change: whitenoise lets browsers keep them for ever.
        assert "immutable" in response.headers["Cache-Control"], href
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
