"""Scenes for the webhook tests: real receivers on loopback that verify what they get
with the `standardwebhooks` library (never with the portal's code), and a proxy
installation that activates for real through the licensing service.

alice administers "My Company, Inc." (a 10-license subscription), bob is a Regular
Member, dave is blocked, charlie administers "Other Corp".
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
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
    "hang" to sit for `hang_seconds` before answering 200, ("redirect", url), or
    ("body", status, bytes) for exactly those bytes),
    then 200 once they run out. It records every request and every connection."""

    answers: list = field(default_factory=list)
    hang_seconds: float = 3.0
    # (certificate, key) PEM files: the receiver speaks https.
    tls: tuple[str, str] | None = None
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
                if isinstance(answer, tuple) and answer[0] == "body":
                    _, status, raw = answer
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return
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
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        # Polled every 50 ms (not socketserver's 0.5 s): stop() returns as soon as it is asked.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Drip:
    """A receiver on 127.0.0.1 that reads the request, then answers a byte at a time,
    one every `interval` seconds (status line, headers and body alike), until the
    answer is out or the client hangs up. It records what it sent and when the client
    went away."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\n"
    ANSWER += b"x" * 40

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.requests = 0
        self.sent = 0
        self.dripping = threading.Event()
        self.hung_up = threading.Event()  # the client closed the connection mid-answer
        self.finished = threading.Event()  # the whole answer went out
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hooks"

    def start(self) -> Drip:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = connection.recv(65536)
            if not chunk:
                return
            request += chunk
        head, _, body = request.partition(b"\r\n\r\n")
        length = int(re.search(rb"content-length: *(\d+)", head, re.I).group(1))
        while len(body) < length:
            body += connection.recv(65536)
        self.requests += 1
        self.dripping.set()
        for byte in self.ANSWER:
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                self.hung_up.set()
                return
            self.sent += 1
            # A hang-up shows as a readable socket with nothing to read.
            readable, _, _ = select.select([connection], [], [], self.interval)
            if readable and not connection.recv(1, socket.MSG_PEEK):
                self.hung_up.set()
                return
        self.finished.set()

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()


@pytest.fixture
def drip():
    receiver = Drip().start()
    yield receiver
    receiver.stop()


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


def tls_files(directory, host: str = "localhost") -> tuple[str, str, str]:
    """A certificate authority and a server certificate for `host` signed by it, as PEM
    files: (CA certificate, server certificate, server key)."""

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Test CA"))
        .issuer_name(name("Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(host))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tuple(str(p) for p in paths)
