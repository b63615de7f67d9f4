"""End to end: real ``pmm-proxy`` processes against the portal on a live server.

Online, the proxies talk HTTP to the live server; offline, their request files are
uploaded on the Offline Activation and Validation page as alice (Django test client),
and the answer files she downloads are imported by the proxy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from licensing import signing
from proxies.models import ProxyServer, UsageReport
from subscriptions.services import subscription_upgrade
from tests.licensing import factories

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _portal_key(tmp_path_factory, settings):
    settings.LICENSING_SIGNING_KEYS = ""
    settings.LICENSING_DEV_KEY_DIR = tmp_path_factory.mktemp("portal-key")
    settings.LICENSING_DEV_KEY_ALLOWED = True
    signing.registry_reset()
    yield
    signing.registry_reset()


class Proxy:
    """One installation: a state directory driven through the real command line."""

    def __init__(self, state: Path, portal: str) -> None:
        self.state, self.portal = state, portal

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "licensing.client", "--state", str(self.state), *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, f"pmm-proxy {' '.join(args)}: {result.stderr}"
        return result.stdout

    def fails(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode != 0, f"pmm-proxy {' '.join(args)} succeeded: {result.stdout}"
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return result.stderr

    def status(self) -> dict:
        return json.loads(self.ok("status", "--json"))


@pytest.fixture
def make_proxy(tmp_path, live_server):
    portal_pem = tmp_path / "portal.pem"

    def make(name: str, *, pinned: bool = False) -> Proxy:
        proxy = Proxy(tmp_path / name, live_server.url)
        args = ["init", "--server-name", f"{name}.example", "--site-code", name.upper()[:3]]
        if pinned:
            # What an administrator copies from `manage.py licensing_public_key`.
            portal_pem.write_text(signing.current_signing_key().public_key_pem)
            args += ["--portal-public-key", str(portal_pem)]
        proxy.ok(*args)
        return proxy

    return make


def subscription_for(company, *, offline: bool, licenses: int = 5):
    today = timezone.localdate()
    subscription = factories.subscription_make(
        company,
        licenses=licenses,
        offline=offline,
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=355),
    )
    return subscription, factories.primary_key_make(subscription)


def offline_exchange(client: Client, request_file: Path, answer_file: Path) -> str:
    """alice uploads the request file, confirms, and downloads the answer file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = request_file.read_bytes()
    inspect = client.post(
        "/offline/",
        {"step": "inspect", "request_file": SimpleUploadedFile("request.txt", text)},
    )
    assert inspect.status_code == 200, inspect.content.decode()[-2000:]
    done = client.post("/offline/", {"step": "confirm", "request_text": text.decode()})
    assert done.status_code == 200, done.content.decode()[-2000:]
    answer = client.get(f"/offline/answers/{done.context['answer_token']}/")
    assert answer.status_code == 200
    answer_file.write_bytes(answer.content)
    return done.content.decode()


def test_online_activate_report_refresh_deactivate_and_move(company, alice, make_proxy):
    subscription, key = subscription_for(company, offline=False)
    first, second = make_proxy("alpha"), make_proxy("beta")
    portal = first.portal

    first.ok("activate", "--key", key.key.lower(), "--portal", portal)
    status = first.status()
    assert status["status"] == "active"
    assert status["license_key"] == key.key
    assert (status["licenses"], status["used"], status["remaining"]) == (5, 0, 5)
    assert status["activation_method"] == "online"
    assert status["end_date"] == subscription.ends_on.isoformat()

    first.ok("report", "--computers", "3", "--portal", portal)
    assert (first.status()["used"], first.status()["remaining"]) == (3, 2)
    assert ProxyServer.objects.get().registered_computers == 3

    # Sales upgrade the subscription: the next refresh brings the new quota.
    subscription_upgrade(subscription=subscription, licenses_added=10, actor=None, channel="admin")
    first.ok("refresh", "--portal", portal)
    assert (first.status()["licenses"], first.status()["remaining"]) == (15, 12)

    # The key is taken: another installation is refused, with a clear one-line error.
    error = second.fails("activate", "--key", key.key, "--portal", portal)
    assert "already active on another installation" in error
    assert second.status()["status"] == "not_activated"

    first.ok("deactivate", "--portal", portal)
    assert first.status()["status"] == "deactivated"

    second.ok("activate", "--key", key.key, "--portal", portal)
    assert second.status()["status"] == "active"

    # Over the limit is reported back.
    out = second.ok("report", "--computers", "16", "--portal", portal)
    assert "Over the license limit" in out
    status = second.status()
    assert (status["used"], status["licenses"], status["over_limit"]) == (16, 15, True)
    assert ProxyServer.objects.filter(status="active").get().registered_computers == 16


def test_offline_activate_refresh_and_deactivate_through_files(
    company, alice, alice_client, make_proxy, tmp_path
):
    subscription, key = subscription_for(company, offline=True)
    first = make_proxy("offsite", pinned=True)
    second = make_proxy("online")

    # Activation: request file -> upload -> License Activation File -> import.
    first.ok("activate", "--key", key.key, "--offline-request", str(tmp_path / "act.req"))
    assert first.status()["status"] == "pending_offline_activation"
    html = offline_exchange(alice_client, tmp_path / "act.req", tmp_path / "act.lic")
    assert "Download License Activation File" in html
    first.ok("import", str(tmp_path / "act.lic"))
    status = first.status()
    assert (status["status"], status["activation_method"]) == ("active", "offline")
    assert status["offline_use"] is True

    # Usage goes with the offline refresh; an upgrade arrives with it too.
    first.ok("report", "--computers", "4")
    subscription_upgrade(subscription=subscription, licenses_added=2, actor=None, channel="admin")
    first.ok("refresh", "--offline-request", str(tmp_path / "refresh.req"))
    html = offline_exchange(alice_client, tmp_path / "refresh.req", tmp_path / "refresh.lic")
    assert "Download Subscription Information File" in html
    first.ok("import", str(tmp_path / "refresh.lic"))
    status = first.status()
    assert (status["licenses"], status["used"], status["remaining"]) == (7, 4, 3)
    assert UsageReport.objects.get().registered_computers == 4

    # An installation activated offline is refreshed offline only.
    assert "activated offline" in first.fails("refresh", "--portal", first.portal)

    # A replayed file is refused and changes nothing.
    replay = alice_client.post(
        "/offline/",
        {"step": "confirm", "request_text": (tmp_path / "refresh.req").read_text()},
    )
    assert replay.status_code == 400 and "already processed" in replay.content.decode()

    # Offline deactivation: the proxy is off at once, the key only once the file is uploaded.
    first.ok("deactivate", "--offline-request", str(tmp_path / "deact.req"))
    assert first.status()["status"] == "deactivated"
    error = second.fails("activate", "--key", key.key, "--portal", second.portal)
    assert "already active on another installation" in error
    html = offline_exchange(alice_client, tmp_path / "deact.req", tmp_path / "deact.lic")
    assert "Deactivation complete" in html
    assert "confirmed" in first.ok("import", str(tmp_path / "deact.lic"))
    second.ok("activate", "--key", key.key, "--portal", second.portal)
    assert second.status()["status"] == "active"


def test_offline_activation_is_refused_where_not_enabled(
    company, alice, alice_client, make_proxy, tmp_path
):
    _, key = subscription_for(company, offline=False)
    proxy = make_proxy("cellar", pinned=True)
    proxy.ok("activate", "--key", key.key, "--offline-request", str(tmp_path / "act.req"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = alice_client.post(
        "/offline/",
        {
            "step": "inspect",
            "request_file": SimpleUploadedFile("act.req", (tmp_path / "act.req").read_bytes()),
        },
    )
    assert response.status_code == 400
    assert "Offline activation is not enabled for this subscription" in response.content.decode()
    assert ProxyServer.objects.count() == 0


def test_a_deactivation_by_an_administrator_reaches_the_proxy(company, alice, make_proxy):
    from proxies.services import proxy_server_deactivate

    _, key = subscription_for(company, offline=False)
    proxy = make_proxy("gamma")
    proxy.ok("activate", "--key", key.key, "--portal", proxy.portal)
    proxy_server_deactivate(proxy_server=ProxyServer.objects.get(), actor=alice, channel="web")
    out = proxy.ok("refresh", "--portal", proxy.portal)
    assert "deactivated" in out
    assert proxy.status()["status"] == "deactivated"


def test_an_unknown_key_is_refused_with_a_one_line_error(other_company, make_proxy):
    _, key = subscription_for(other_company, offline=False)
    proxy = make_proxy("delta")
    error = proxy.fails(
        "activate", "--key", "ABCDE-ABCDE-ABCDE-ABCDE-ABCDE", "--portal", proxy.portal
    )
    assert "This license key is not valid or not registered." in error
    proxy.ok("activate", "--key", key.key, "--portal", proxy.portal)


def test_an_offline_server_deactivated_in_the_portal_keeps_its_key_until_its_file_arrives(
    company, alice, alice_client, make_proxy, tmp_path
):
    from proxies.services import proxy_server_deactivate

    _, key = subscription_for(company, offline=True)
    offsite, other = make_proxy("offsite", pinned=True), make_proxy("other")
    offsite.ok("activate", "--key", key.key, "--offline-request", str(tmp_path / "act.req"))
    offline_exchange(alice_client, tmp_path / "act.req", tmp_path / "act.lic")
    offsite.ok("import", str(tmp_path / "act.lic"))

    # alice deactivates it in the portal: the key stays taken (the server still runs).
    proxy_server_deactivate(proxy_server=ProxyServer.objects.get(), actor=alice, channel="web")
    assert ProxyServer.objects.get().status == ProxyServer.Status.DEACTIVATING
    assert "already active" in other.fails("activate", "--key", key.key, "--portal", other.portal)

    # Its next offline refresh tells it to stop...
    offsite.ok("refresh", "--offline-request", str(tmp_path / "refresh.req"))
    offline_exchange(alice_client, tmp_path / "refresh.req", tmp_path / "refresh.lic")
    offsite.ok("import", str(tmp_path / "refresh.lic"))
    assert offsite.status()["status"] == "deactivated"

    # ...and its deactivation request file releases the key.
    offsite.ok("deactivate", "--offline-request", str(tmp_path / "deact.req"))
    offline_exchange(alice_client, tmp_path / "deact.req", tmp_path / "deact.lic")
    assert ProxyServer.objects.get().status == ProxyServer.Status.DEACTIVATED
    other.ok("activate", "--key", key.key, "--portal", other.portal)
