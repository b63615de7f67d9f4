"""Scenes for the webhook tests: real receivers on loopback that verify what they get
with the `standardwebhooks` library (never with the portal's code), and a proxy
installation that activates for real through the licensing service.

alice administers "My Company, Inc." (a 10-license subscription), bob is a Regular
Member, dave is blocked, charlie administers "Other Corp".
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests import factories
from tests.licensing.conftest import _portal_key  # noqa: F401 - proxies sign with a test key
from tests.licensing.factories import Installation
from webhooks import services


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    def verifies_with(self, secret: str) -> bool:
        try:
            Webhook(secret).verify(self.body, self.headers)
        except WebhookVerificationError:
            return False
        return True


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that answers with the next of `answers` (a status,
    "hang" to sit for `hang_seconds` before answering 200, or ("redirect", url)),
    then 200 once they run out. It records every request and every connection."""

    answers: list = field(default_factory=list)
    hang_seconds: float = 3.0
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def events(self, secret: str) -> list[dict]:
        """The events that verify with `secret`, in the order they arrived."""
        return [r.event for r in self.received if r.verifies_with(secret)]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(
                    Received(
                        {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
                    )
                )
                answer = receiver.answers.pop(0) if receiver.answers else 200
                if answer == "hang":
                    time.sleep(receiver.hang_seconds)
                    answer = 200
                if isinstance(answer, tuple):
                    self.send_response(302)
                    self.send_header("Location", answer[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                text = json.dumps({"ok": answer < 300, "filler": "x" * 5000}).encode()
                self.send_response(answer)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the portal read its 2 KB and hung up
                    self.wfile.write(text)

            def log_message(self, *args):  # quiet
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address):
                receiver.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    started: list[Receiver] = []

    def make(answers=None, **kwargs) -> Receiver:
        receiver = Receiver(answers=list(answers or []), **kwargs).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(receiver_factory):
    return receiver_factory()


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    # Receivers live on loopback over http (development mode); tests of refused
    # targets turn it off. A short timeout keeps the hanging receiver test quick.
    settings.WEBHOOKS_ALLOW_INSECURE = True
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1


@pytest.fixture
def subscription(company):
    return factories.subscription_create(company, licenses=10, name="Headquarters")


@pytest.fixture
def proxy():
    return Installation()


ALL_TYPES = [
    "proxy_server.activated",
    "proxy_server.deactivated",
    "sublicense.created",
    "sublicense.changed",
    "sublicense.deleted",
    "member.blocked",
]


def endpoint_make(account, admin, url: str, types=None, **kwargs):
    """An endpoint made the way the page makes it; returns it with its secret."""
    new = services.endpoint_create(
        account=account, actor=admin, url=url, event_types=types or ALL_TYPES, **kwargs
    )
    return new.endpoint, new.secret
