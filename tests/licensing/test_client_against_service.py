"""``pmm-proxy`` against the real portal: the client's ``main()`` in this process, its
HTTP requests answered by the Django test client, so the portal's real services, API
and signing key answer it (test_client_cli.py uses a stand-in portal; the e2e suite
runs the console script against a live server).

What this guards is the ``status --json`` contract (DESIGN.md): every field the
proxy shows must come through from what the real portal answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import time_machine

from licensing.client.cli import main
from proxies.models import ProxyServer, UsageReport
from tests.licensing.factories import NOW, PORTAL

pytestmark = pytest.mark.django_db


def run(state: Path, capsys, *args: str) -> str:
    capsys.readouterr()
    code = main(["--state", str(state), *args])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, ""), captured.err
    return captured.out


def status(state: Path, capsys) -> dict[str, Any]:
    return json.loads(run(state, capsys, "status", "--json"))


CONTRACT = (
    "status",
    "license_key",
    "start_date",
    "end_date",
    "licenses",
    "used",
    "remaining",
    "activation_method",
    "over_limit",
)


def contract(view: dict[str, Any]) -> dict[str, Any]:
    return {name: view[name] for name in CONTRACT}


def test_status_shows_what_the_real_portal_answers(tmp_path, capsys, portal, primary_key):
    state = tmp_path / "alice-proxy"
    expected = {
        "status": "active",
        "license_key": primary_key.key,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "licenses": 5,
        "used": 0,
        "remaining": 5,
        "activation_method": "online",
        "over_limit": False,
    }
    # The portal and the proxy share one clock: requests are valid for minutes only.
    with time_machine.travel(NOW, tick=False):
        run(state, capsys, "init", "--server-name", "pmm.alice.example", "--site-code", "HQ")
        run(state, capsys, "activate", "--key", primary_key.key, "--portal", PORTAL)
        assert contract(status(state, capsys)) == expected

        # Seven computers on five licenses: over the limit, nothing remaining.
        run(state, capsys, "report", "--computers", "7", "--portal", PORTAL)
        over = {**expected, "used": 7, "remaining": 0, "over_limit": True}
        assert contract(status(state, capsys)) == over

        run(state, capsys, "refresh", "--portal", PORTAL)
        assert contract(status(state, capsys)) == over

    assert portal == [
        "/api/licensing/public-keys/",
        "/api/licensing/activate/",
        "/api/licensing/usage/",
        "/api/licensing/refresh/",
    ]
    server = ProxyServer.objects.get()
    assert (server.status, server.registered_computers, server.last_refresh_at) == (
        "active",
        7,
        NOW,
    )
    assert UsageReport.objects.get().registered_computers == 7
