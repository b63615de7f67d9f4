"""``pmm-proxy`` against a tiny in-test portal that speaks the licensing protocol.

The portal here is a stand-in with just enough rules to exercise the client: one
license key ("alice's key") with two licenses, bound to the first installation that
activates it, answers signed with a test portal key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from licensing.client import envelope
from licensing.client.cli import main

NOW = datetime(2026, 3, 1, 9, 30, 0, tzinfo=UTC)
ALICE_KEY = "ALICE-0001-0002-0003"
REPO_ROOT = Path(__file__).resolve().parents[2]


class PortalRefusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class FakePortal:
    """The portal's side of the protocol, just enough of it."""

    key: Any = field(default_factory=envelope.generate_private_key)
    now: datetime = NOW
    licenses: int = 2
    installations: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_holder: str | None = None
    seen_nonces: set[str] = field(default_factory=set)
    received: list[envelope.Message] = field(default_factory=list)
    next_failure: tuple[int, dict[str, Any], dict[str, str]] | None = None
    url: str = ""

    @property
    def kid(self) -> str:
        return envelope.key_id_for(self.key)

    def public_key_file(self, directory: Path) -> Path:
        """What the portal's ``manage.py licensing_public_key --json`` prints."""
        path = directory / "portal-key.json"
        path.write_text(
            json.dumps({"kid": self.kid, "public_key": envelope.public_key_pem(self.key)})
        )
        return path

    def process(self, text: str, expected: str) -> str:
        """Verify a request (online body or uploaded file) and return the signed answer."""
        peeked = envelope.peek(text)
        if expected == "activation_request":
            public_key = envelope.load_public_key_pem(peeked.payload["installation_public_key"])
            keys = {envelope.key_id_for(public_key): public_key}
        else:
            keys = {
                i["kid"]: envelope.load_public_key_pem(i["public_key"])
                for i in self.installations.values()
            }
        message = envelope.open_envelope(
            text, expected_types=[expected], public_keys=keys, now=self.now
        )
        if message.nonce in self.seen_nonces:
            raise PortalRefusal(409, "replayed", "This request was already processed.")
        self.seen_nonces.add(message.nonce)
        self.received.append(message)
        payload = message.payload
        installation_id = payload["installation_id"]

        if expected == "activation_request":
            if payload["license_key"] != ALICE_KEY:
                raise PortalRefusal(404, "unknown_key", "This license key does not exist.")
            if self.key_holder not in (None, installation_id):
                raise PortalRefusal(
                    409, "key_in_use", "This license key is active on another installation."
                )
            self.key_holder = installation_id
            self.installations[installation_id] = {
                "kid": message.kid,
                "public_key": payload["installation_public_key"],
                "status": "active",
                "method": payload["method"],
                "used": 0,
            }
        installation = self.installations[installation_id]
        if installation["kid"] != message.kid:
            raise PortalRefusal(403, "wrong_key", "Signed by another installation's key.")

        answer: dict[str, Any] = {
            "installation_id": installation_id,
            "request_nonce": message.nonce,
        }
        if expected == "usage_report":
            installation["used"] = payload["peak"]
            answer.update(self.counts(installation))
            return self.seal("usage_response", answer)
        if expected == "deactivation_request":
            installation["status"] = "deactivated"
            self.key_holder = None
            answer["status"] = "deactivated"
            return self.seal("deactivation_response", answer)
        if expected == "refresh_request" and payload["usage"]:
            installation["used"] = payload["usage"]["peak"]
        answer.update(
            {
                "status": installation["status"],
                "license_key": ALICE_KEY,
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "offline_use": True,
                "activation_method": installation["method"],
                "refresh_before": (self.now + timedelta(hours=24)).isoformat(),
                **self.counts(installation),
            }
        )
        return self.seal(expected.replace("_request", "_response"), answer)

    def counts(self, installation: dict[str, Any]) -> dict[str, Any]:
        used = installation["used"]
        return {
            "licenses": self.licenses,
            "used": used,
            "remaining": self.licenses - used,
            "over_limit": used > self.licenses,
        }

    def seal(self, message_type: str, payload: dict[str, Any], **kwargs: Any) -> str:
        return envelope.seal(
            message_type=message_type,
            payload=payload,
            private_key=kwargs.pop("private_key", self.key),
            now=self.now,
            **kwargs,
        )


ROUTES = {
    "/api/licensing/activate/": "activation_request",
    "/api/licensing/refresh/": "refresh_request",
    "/api/licensing/usage/": "usage_report",
    "/api/licensing/deactivate/": "deactivation_request",
}


def make_handler(portal: FakePortal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != "/api/licensing/public-keys/":
                return self.reply(404, {"error": {"code": "not_found", "message": "No."}}, {})
            pem = envelope.public_key_pem(portal.key)
            keys = [{"kid": portal.kid, "public_key": pem, "algorithm": "Ed25519"}]
            self.reply(200, {"keys": keys}, {})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert self.headers["Content-Type"] == "application/json"
            if portal.next_failure:
                failure, portal.next_failure = portal.next_failure, None
                return self.reply(*failure)
            try:
                answer = portal.process(body["message"], ROUTES[self.path])
            except PortalRefusal as exc:
                error = {"error": {"code": exc.code, "message": exc.message}}
                return self.reply(exc.status, error, {})
            except envelope.EnvelopeError as exc:
                error = {"error": {"code": exc.code, "message": exc.message}}
                return self.reply(400, error, {})
            self.reply(200, {"message": answer}, {})

    return Handler


@pytest.fixture
def portal() -> Iterator[FakePortal]:
    fake = FakePortal()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class ProxyRunner:
    """One proxy installation (a state dir) driven through ``main()``."""

    state: Path
    capsys: pytest.CaptureFixture[str]
    now: datetime = NOW

    def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = main(["--state", str(self.state), *args], now=self.now)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.code == 0, result.err
        assert result.err == ""
        return result

    def fails(self, *args: str) -> Result:
        result = self(*args)
        assert result.code != 0
        assert result.out == ""
        lines = result.err.splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith("pmm-proxy: error: ")
        return result

    def status(self) -> dict[str, Any]:
        return self.ok("status", "--json").json

    def state_json(self) -> dict[str, Any]:
        return json.loads((self.state / "state.json").read_text())

    def snapshot(self) -> tuple[bytes, bytes]:
        return (self.state / "state.json").read_bytes(), (
            self.state / "installation.key"
        ).read_bytes()


@pytest.fixture
def proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> ProxyRunner:
    return ProxyRunner(tmp_path / "alice-proxy", capsys)


@pytest.fixture
def pinned_proxy(proxy: ProxyRunner, portal: FakePortal, tmp_path: Path) -> ProxyRunner:
    """Alice's proxy, initialised with the portal's public key pinned (needed offline)."""
    pem = portal.public_key_file(tmp_path)
    proxy.ok("init", "--server-name", "pmm.alice.example", "--site-code", "HQ",
             "--portal-public-key", str(pem))  # fmt: skip
    return proxy


def init(runner: ProxyRunner) -> None:
    runner.ok("init", "--server-name", "pmm.alice.example", "--site-code", "HQ",
              "--site-description", "Head office", "--app-version", "4.2")  # fmt: skip


# --- init ---------------------------------------------------------------------------------


def test_init_creates_an_owner_only_installation_key_and_state(proxy: ProxyRunner) -> None:
    init(proxy)

    key_file = proxy.state / "installation.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    private_key = envelope.load_private_key_pem(key_file.read_bytes())
    state = proxy.state_json()
    assert state["installation_key_id"] == envelope.key_id_for(private_key)
    status = proxy.status()
    assert status["status"] == "not_activated"
    assert status["server_name"] == "pmm.alice.example"
    assert status["site_code"] == "HQ"
    assert status["refresh_due"] is False
    assert status["license_key"] is None
    for key in ("start_date", "end_date", "licenses", "used", "remaining", "activation_method"):
        assert key in status
    assert not list(proxy.state.glob("*.tmp"))


def test_init_refuses_an_initialised_state_dir(proxy: ProxyRunner) -> None:
    init(proxy)
    before = proxy.snapshot()

    result = proxy.fails("init", "--server-name", "other", "--site-code", "X")

    assert "already initialised" in result.err
    assert proxy.snapshot() == before


def test_init_refuses_a_portal_key_that_is_not_a_pem_key(
    proxy: ProxyRunner, tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("hello")

    proxy.fails("init", "--server-name", "s", "--site-code", "c", "--portal-public-key", str(bogus))

    assert not (proxy.state / "state.json").exists()


def test_commands_on_an_uninitialised_dir_say_so(proxy: ProxyRunner) -> None:
    assert "not initialised" in proxy.fails("status").err


def _fingerprint(portal: FakePortal) -> str:
    """What `openssl pkey -pubin -outform DER | tail -c 32 | sha256sum` says of the key."""
    raw = portal.key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()


def test_init_without_a_pinned_key_warns_of_trust_on_first_use_and_shows_what_it_pinned(
    proxy: ProxyRunner, portal: FakePortal
) -> None:
    result = proxy.ok("init", "--server-name", "pmm.alice.example", "--site-code", "HQ")

    assert "WARNING: no portal public key is pinned" in result.out
    assert "trust on first use" in result.out

    result = proxy.ok("activate", "--key", ALICE_KEY, "--portal", portal.url)

    assert (
        f"WARNING: trusted on first use: pinned portal key {portal.kid} of {portal.url}, "
        f"SHA-256 fingerprint {_fingerprint(portal)}"
    ) in result.out
    # Said once, when trust is decided: not at every later exchange.
    assert "WARNING" not in proxy.ok("refresh", "--portal", portal.url).out


def test_init_with_a_pinned_key_shows_its_fingerprint_and_no_warning(
    proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    pem = portal.public_key_file(tmp_path)
    result = proxy.ok("init", "--server-name", "pmm.alice.example", "--site-code", "HQ",
                      "--portal-public-key", str(pem))  # fmt: skip

    assert f"Pinned portal key {portal.kid}, SHA-256 fingerprint {_fingerprint(portal)}." in (
        result.out
    )
    assert "WARNING" not in result.out
    assert "WARNING" not in proxy.ok("activate", "--key", ALICE_KEY, "--portal", portal.url).out


def test_usage_errors_are_one_line(proxy: ProxyRunner) -> None:
    init(proxy)

    assert proxy.fails("activate", "--portal", "http://x").code == 2
    assert proxy.fails("report", "--computers", "-3").code == 2
    assert proxy.fails("refresh").code == 2
    assert proxy.fails("frobnicate").code == 2


# --- online -------------------------------------------------------------------------------


def test_the_online_lifecycle(proxy: ProxyRunner, portal: FakePortal) -> None:
    init(proxy)

    proxy.ok("activate", "--key", ALICE_KEY, "--portal", portal.url + "/")

    status = proxy.status()
    assert status["status"] == "active"
    assert status["license_key"] == ALICE_KEY
    assert (status["start_date"], status["end_date"]) == ("2026-01-01", "2026-12-31")
    assert (status["licenses"], status["used"], status["remaining"]) == (2, 0, 2)
    assert status["activation_method"] == "online"
    assert status["over_limit"] is False
    assert status["refresh_due"] is False
    # Trust on first use: the published key is pinned once an answer verified with it.
    assert status["portal_key_ids"] == [portal.kid]
    request = portal.received[-1]
    assert request.type == "activation_request"
    assert request.payload["server_name"] == "pmm.alice.example"
    assert request.payload["site_description"] == "Head office"
    assert request.payload["app_version"] == "4.2"
    assert request.payload["method"] == "online"
    assert request.kid == proxy.state_json()["installation_key_id"]

    result = proxy.ok("report", "--computers", "3", "--portal", portal.url)

    assert "Over the license limit" in result.out
    status = proxy.status()
    assert (status["used"], status["remaining"], status["over_limit"]) == (3, -1, True)
    assert portal.received[-1].payload["peak"] == 3

    proxy.now = portal.now = NOW + timedelta(hours=25)
    assert proxy.status()["refresh_due"] is True
    portal.licenses = 5
    proxy.ok("refresh", "--portal", portal.url)

    status = proxy.status()
    assert (status["licenses"], status["used"], status["remaining"]) == (5, 3, 2)
    assert status["over_limit"] is False
    assert status["refresh_due"] is False
    # The usage already reported is not sent again.
    assert portal.received[-1].payload["usage"] is None

    proxy.ok("deactivate", "--portal", portal.url)

    assert proxy.status()["status"] == "deactivated"
    assert portal.key_holder is None
    assert "deactivated" in proxy.fails("refresh", "--portal", portal.url).err


def test_unsent_usage_goes_with_the_next_refresh(proxy: ProxyRunner, portal: FakePortal) -> None:
    init(proxy)
    proxy.ok("activate", "--key", ALICE_KEY, "--portal", portal.url)

    proxy.ok("report", "--computers", "2")
    proxy.ok("report", "--computers", "1")
    proxy.ok("refresh", "--portal", portal.url)

    assert portal.received[-1].payload["usage"] == {
        "registered_computers": 1,
        "peak": 2,
        "date": "2026-03-01",
    }
    assert proxy.status()["used"] == 2


def test_a_deactivation_by_an_administrator_arrives_with_the_refresh(
    proxy: ProxyRunner, portal: FakePortal
) -> None:
    init(proxy)
    proxy.ok("activate", "--key", ALICE_KEY, "--portal", portal.url)
    installation_id = proxy.status()["installation_id"]
    portal.installations[installation_id]["status"] = "deactivated"

    result = proxy.ok("refresh", "--portal", portal.url)

    assert "deactivated" in result.out
    assert proxy.status()["status"] == "deactivated"


def test_it_refuses_what_does_not_fit_the_current_status(
    proxy: ProxyRunner, portal: FakePortal
) -> None:
    init(proxy)
    for command in (["refresh", "--portal", portal.url], ["deactivate", "--portal", portal.url]):
        assert "not been activated" in proxy.fails(*command).err
    assert "not been activated" in proxy.fails("report", "--computers", "1").err

    proxy.ok("activate", "--key", ALICE_KEY, "--portal", portal.url)

    assert (
        "already active" in proxy.fails("activate", "--key", ALICE_KEY, "--portal", portal.url).err
    )


def test_the_portals_error_message_is_shown(
    proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    init(proxy)
    bob = ProxyRunner(tmp_path / "bob-proxy", proxy.capsys)
    init(bob)
    bob.ok("activate", "--key", ALICE_KEY, "--portal", portal.url)
    before = proxy.snapshot()

    unknown = proxy.fails("activate", "--key", "NOPE", "--portal", portal.url)
    in_use = proxy.fails("activate", "--key", ALICE_KEY, "--portal", portal.url)

    assert "This license key does not exist." in unknown.err
    assert "404" in unknown.err
    assert "This license key is active on another installation." in in_use.err
    assert proxy.snapshot() == before


def test_rate_limiting_is_reported_with_retry_after(proxy: ProxyRunner, portal: FakePortal) -> None:
    init(proxy)
    portal.next_failure = (
        429,
        {"error": {"code": "throttled", "message": "Slow"}},
        {"Retry-After": "42"},
    )

    result = proxy.fails("activate", "--key", ALICE_KEY, "--portal", portal.url)

    assert "rate limit" in result.err
    assert "42" in result.err


def test_a_server_error_without_json_is_one_line(proxy: ProxyRunner, portal: FakePortal) -> None:
    init(proxy)
    portal.next_failure = (500, {"oops": True}, {})

    assert "HTTP 500" in proxy.fails("activate", "--key", ALICE_KEY, "--portal", portal.url).err


def test_a_network_error_is_one_line(proxy: ProxyRunner) -> None:
    init(proxy)
    before = proxy.snapshot()

    result = proxy.fails("activate", "--key", ALICE_KEY, "--portal", "http://127.0.0.1:9")

    assert "cannot reach the portal" in result.err
    assert proxy.snapshot() == before


def test_an_invalid_portal_url_is_refused(proxy: ProxyRunner) -> None:
    init(proxy)

    assert (
        "invalid portal URL"
        in proxy.fails("activate", "--key", ALICE_KEY, "--portal", "file:///etc/passwd").err
    )


def test_an_answer_signed_by_an_unpinned_key_is_refused(
    pinned_proxy: ProxyRunner, portal: FakePortal
) -> None:
    before = pinned_proxy.snapshot()
    portal.key = envelope.generate_private_key()  # an impostor answers

    result = pinned_proxy.fails("activate", "--key", ALICE_KEY, "--portal", portal.url)

    assert "does not trust" in result.err
    assert pinned_proxy.snapshot() == before


# --- offline ------------------------------------------------------------------------------


def test_offline_activation_then_import(
    pinned_proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    request_file = tmp_path / "activation-request.txt"

    result = pinned_proxy.ok("activate", "--key", ALICE_KEY, "--offline-request", str(request_file))

    assert "Offline Activation and Validation" in result.out
    assert "import" in result.out
    assert pinned_proxy.status()["status"] == "pending_offline_activation"
    answer_file = tmp_path / "activation-answer.txt"
    answer_file.write_text(portal.process(request_file.read_text(), "activation_request"))
    assert portal.received[-1].payload["method"] == "offline"

    pinned_proxy.ok("import", str(answer_file))

    status = pinned_proxy.status()
    assert status["status"] == "active"
    assert status["activation_method"] == "offline"
    assert status["license_key"] == ALICE_KEY
    assert status["pending_requests"] == []
    # The same answer cannot be applied twice.
    assert "pending" in pinned_proxy.fails("import", str(answer_file)).err


def test_offline_refresh_carries_the_latest_usage(
    pinned_proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    activate_offline(pinned_proxy, portal, tmp_path)
    pinned_proxy.ok("report", "--computers", "5")
    request_file = tmp_path / "refresh-request.txt"

    pinned_proxy.ok("refresh", "--offline-request", str(request_file))
    answer = portal.process(request_file.read_text(), "refresh_request")
    (tmp_path / "refresh-answer.txt").write_text(answer)
    pinned_proxy.ok("import", str(tmp_path / "refresh-answer.txt"))

    assert portal.received[-1].payload["usage"]["peak"] == 5
    assert portal.received[-1].payload["method"] == "offline"
    status = pinned_proxy.status()
    assert (status["used"], status["remaining"], status["over_limit"]) == (5, -3, True)
    assert status["usage_reported"] is True


def test_offline_deactivation_takes_effect_at_once(
    pinned_proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    activate_offline(pinned_proxy, portal, tmp_path)
    request_file = tmp_path / "deactivation-request.txt"

    result = pinned_proxy.ok("deactivate", "--offline-request", str(request_file))

    assert "Offline Activation and Validation" in result.out
    assert pinned_proxy.status()["status"] == "deactivated"
    assert portal.key_holder is not None  # freed only when the file is uploaded
    answer = portal.process(request_file.read_text(), "deactivation_request")
    assert portal.key_holder is None
    (tmp_path / "deactivation-answer.txt").write_text(answer)
    assert "confirmed" in pinned_proxy.ok("import", str(tmp_path / "deactivation-answer.txt")).out
    assert pinned_proxy.status()["status"] == "deactivated"


def test_a_tampered_answer_is_refused_and_changes_nothing(
    pinned_proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    request_file = tmp_path / "request.txt"
    pinned_proxy.ok("activate", "--key", ALICE_KEY, "--offline-request", str(request_file))
    answer = portal.process(request_file.read_text(), "activation_request")
    lines = answer.strip().split("\n")
    data = json.loads(base64.b64decode("".join(lines[1:-1])))
    data["payload"]["licenses"] = 1000
    body = base64.b64encode(json.dumps(data).encode()).decode()
    tampered = tmp_path / "tampered.txt"
    tampered.write_text(f"{envelope.ARMOR_BEGIN}\n{body}\n{envelope.ARMOR_END}\n")
    before = pinned_proxy.snapshot()

    result = pinned_proxy.fails("import", str(tampered))

    assert "signature" in result.err
    assert pinned_proxy.snapshot() == before


def test_garbage_and_missing_answer_files_are_one_line_errors(
    pinned_proxy: ProxyRunner, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(os.urandom(200))

    assert "not a MyAccount licensing message" in pinned_proxy.fails("import", str(garbage)).err
    assert "cannot read" in pinned_proxy.fails("import", str(tmp_path / "missing.txt")).err


def test_an_answer_for_another_installation_is_refused(
    pinned_proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    charlie = ProxyRunner(tmp_path / "charlie-proxy", pinned_proxy.capsys)
    charlie.ok("init", "--server-name", "pmm.charlie.example", "--site-code", "C",
               "--portal-public-key", str(portal.public_key_file(tmp_path)))  # fmt: skip
    pinned_proxy.ok("activate", "--key", ALICE_KEY, "--offline-request", str(tmp_path / "a.txt"))
    charlie.ok("activate", "--key", ALICE_KEY, "--offline-request", str(tmp_path / "c.txt"))
    (tmp_path / "c-answer.txt").write_text(
        portal.process((tmp_path / "c.txt").read_text(), "activation_request")
    )
    before = pinned_proxy.snapshot()

    result = pinned_proxy.fails("import", str(tmp_path / "c-answer.txt"))

    assert "another installation" in result.err
    assert pinned_proxy.snapshot() == before
    assert pinned_proxy.status()["status"] == "pending_offline_activation"


def test_an_answer_to_a_request_never_made_is_refused(
    pinned_proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    installation_id = pinned_proxy.status()["installation_id"]
    forged = portal.seal(
        "activation_response",
        {
            "installation_id": installation_id,
            "request_nonce": "made-up-nonce-123456",
            "status": "active",
        },
    )
    (tmp_path / "answer.txt").write_text(forged)
    before = pinned_proxy.snapshot()

    assert "pending" in pinned_proxy.fails("import", str(tmp_path / "answer.txt")).err
    assert pinned_proxy.snapshot() == before


def test_an_expired_answer_is_refused(
    pinned_proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    request_file = tmp_path / "request.txt"
    pinned_proxy.ok("activate", "--key", ALICE_KEY, "--offline-request", str(request_file))
    (tmp_path / "answer.txt").write_text(
        portal.process(request_file.read_text(), "activation_request")
    )
    pinned_proxy.now = NOW + timedelta(days=8)

    assert "expired" in pinned_proxy.fails("import", str(tmp_path / "answer.txt")).err


def test_offline_work_needs_a_pinned_portal_key(
    proxy: ProxyRunner, portal: FakePortal, tmp_path: Path
) -> None:
    init(proxy)
    answer = portal.seal("activation_response", {"installation_id": "x", "request_nonce": "y"})
    (tmp_path / "answer.txt").write_text(answer)

    assert "pinned" in proxy.fails("activate", "--key", ALICE_KEY, "--offline-request",
                                   str(tmp_path / "r.txt")).err  # fmt: skip
    assert "pinned" in proxy.fails("import", str(tmp_path / "answer.txt")).err
    assert not (tmp_path / "r.txt").exists()


def activate_offline(runner: ProxyRunner, portal: FakePortal, tmp_path: Path) -> None:
    request_file = tmp_path / "activation-request.txt"
    runner.ok("activate", "--key", ALICE_KEY, "--offline-request", str(request_file))
    answer_file = tmp_path / "activation-answer.txt"
    answer_file.write_text(portal.process(request_file.read_text(), "activation_request"))
    runner.ok("import", str(answer_file))


# --- as a real process --------------------------------------------------------------------


def test_it_runs_as_a_real_process(tmp_path: Path) -> None:
    state = tmp_path / "state"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "licensing.client", "--state", str(state), *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    init_run = run("init", "--server-name", "pmm.alice.example", "--site-code", "HQ")
    status_run = run("status", "--json")
    again = run("init", "--server-name", "pmm.alice.example", "--site-code", "HQ")

    assert init_run.returncode == 0, init_run.stderr
    assert status_run.returncode == 0, status_run.stderr
    status = json.loads(status_run.stdout)
    assert status["status"] == "not_activated"
    assert status["server_name"] == "pmm.alice.example"
    assert again.returncode != 0
    assert again.stderr.startswith("pmm-proxy: error: ")
    assert len(again.stderr.splitlines()) == 1
    assert "Traceback" not in again.stderr
