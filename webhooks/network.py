"""Where a webhook may go, and the one POST that takes it there.

An endpoint's URL is an administrator's input, and the portal sends requests to it
from inside its own network: without care it becomes a way to reach the database,
the cache or the cloud's metadata service (server-side request forgery). So:

- the URL must be https (http only to loopback, and only in development);
- the host is resolved at delivery time, every address it resolves to is checked,
  and the connection goes to the checked address (no second lookup that a DNS
  rebinding could answer differently); TLS still verifies the certificate for the
  host name;
- loopback, link-local, private, shared, reserved, multicast and metadata addresses
  are refused, unless `WEBHOOKS_ALLOWED_NETWORKS` lists the range (an on-premises
  installation whose receivers live on its private network); metadata addresses
  never pass;
- redirects are not followed (a 3xx is a failed attempt), the answer is read up to
  `RESPONSE_CAP` bytes, and the whole exchange (connect, TLS, request, answer) ends
  within `WEBHOOKS_TIMEOUT_SECONDS` in total: then the socket is closed, however
  slowly the receiver was still answering (one tenant's receiver never holds a
  worker longer than that).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT = 10.0  # seconds: a 2xx within this counts as delivered (WEBHOOKS_TIMEOUT_SECONDS)
RESPONSE_CAP = 2048  # bytes of the answer kept (and read)
USER_AGENT = "MyAccount-Webhooks/1.0"

# Cloud metadata services: never a webhook target, whatever the settings allow.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
}
METADATA_HOSTS = {"metadata.google.internal", "metadata"}
LOOPBACK_HOSTS = {"localhost", "localhost.localdomain"}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL or an address it resolves to may not receive webhooks."""


def insecure_allowed() -> bool:
    """Development only: http:// and loopback targets (a receiver on this machine)."""
    return bool(getattr(settings, "WEBHOOKS_ALLOW_INSECURE", settings.DEBUG))


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(item, strict=False)
        for item in getattr(settings, "WEBHOOKS_ALLOWED_NETWORKS", [])
    ]


def address_refusal(address: IPAddress) -> str | None:
    """Why `address` may not receive webhooks, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return _("a cloud metadata address")
    if address.is_loopback and insecure_allowed():
        return None
    if any(address in network for network in _allowed_networks()):
        return None
    if address.is_loopback:
        return _("a loopback address")
    if address.is_link_local:
        return _("a link-local address")
    if address.is_multicast:
        return _("a multicast address")
    if address.is_unspecified or address.is_reserved:
        return _("a reserved address")
    if address.is_private or not address.is_global:
        return _("a private address")
    return None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


# A label of a host name (RFC 1123; "_" too, which some DNS names carry).
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# A last label that makes the host an IPv4 address in the URL standard's eyes (WHATWG):
# "2130706433", "0x7f.1", "127.1" are addresses written in a form people never mean.
_NUMERIC = re.compile(r"0x[0-9a-f]*|[0-9]+")


def host_name_valid(host: str) -> bool:
    """Whether `host` (lower case, no trailing dot) is a host name DNS can hold: labels of
    letters, digits and hyphens (IDNA for other scripts), not ending in a number, which
    would make it an IPv4 address in a form other than four decimal numbers."""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return (
        len(ascii_host) <= 253
        and all(_LABEL.fullmatch(label) for label in labels)
        and not _NUMERIC.fullmatch(labels[-1])
    )


def _loopback_name(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.endswith(".localhost")


def url_check(url: str) -> Target:
    """What the URL names, or TargetRefused with the reason, for people."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise TargetRefused(_("This is not a valid URL.")) from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in {"http", "https"} or not host:
        raise TargetRefused(_("Enter an https:// URL."))
    if parts.username or parts.password:
        raise TargetRefused(_("The URL may not contain a user name or password."))
    if host in METADATA_HOSTS:
        raise TargetRefused(_("The URL may not point at a cloud metadata service."))
    literal = _literal(host)
    if literal is None:
        if not host_name_valid(host):
            raise TargetRefused(_("The URL's host is not a valid host name."))
        host = host.encode("idna").decode("ascii")  # as DNS, SNI and Host know it
    loopback = _loopback_name(host) or (literal is not None and literal.is_loopback)
    if scheme == "http" and not (loopback and insecure_allowed()):
        raise TargetRefused(
            _("Enter an https:// URL (http:// is allowed only to this machine, in development).")
        )
    if loopback and literal is None and not insecure_allowed():
        raise TargetRefused(
            _("The URL points at %(reason)s, which cannot receive webhooks.")
            % {"reason": _("a loopback address")}
        )
    if literal is not None:
        reason = address_refusal(literal)
        if reason:
            raise TargetRefused(
                _("The URL points at %(reason)s, which cannot receive webhooks.")
                % {"reason": reason}
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def resolve(host: str, port: int) -> IPAddress:
    """The address to connect to: every address the host resolves to must be allowed
    (a name with one public and one private address is refused, not raced)."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise TargetRefused(
                _("The host %(host)s could not be resolved.") % {"host": host}
            ) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise TargetRefused(_("The host %(host)s has no address.") % {"host": host})
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            # Never the address itself: what an internal name resolves to is the
            # portal's network, not the tenant's business.
            raise TargetRefused(
                _("The host %(host)s resolves to %(reason)s.") % {"host": host, "reason": reason}
            )
    return addresses[0]


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    body: str
    duration_ms: int
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


def excerpt(data: bytes) -> str:
    """What a receiver answered, as text the log can always store and show: the first
    RESPONSE_CAP bytes, invalid UTF-8 and NUL (which Postgres refuses in text) as U+FFFD."""
    return data[:RESPONSE_CAP].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


class _Deadline:
    """The whole exchange's time limit. When it passes, the connection's socket is shut
    down from a timer thread, whatever the exchange waits for then (the TCP connect, the
    TLS handshake, a header or the body arriving a byte at a time): a socket timeout
    alone bounds each read, not their sum. Shut down through a duplicate of the socket's
    descriptor: TLS takes the original over, the connection is the same."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.passed = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def remaining(self) -> float:
        return max(self.ends - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock.dup()
        self._timer.start()

    def _cut(self) -> None:
        with self._lock:
            self.passed = True
            if self._socket is not None:
                with contextlib.suppress(OSError):  # not connected yet: connect times out
                    self._socket.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None
        if time.monotonic() >= self.ends:
            self.passed = True


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` safely (see the module's docstring); never raises for the
    receiver's faults: they are in the answer. Connect, TLS, the request and the answer
    (headers and the excerpt read) all happen within WEBHOOKS_TIMEOUT_SECONDS in total;
    then the socket is closed and the attempt has failed."""
    started = time.monotonic()
    timeout = float(getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", TIMEOUT))

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = url_check(url)
        address = resolve(target.host, target.port)
    except TargetRefused as refused:
        return Answer(None, "", elapsed(), f"Refused: {refused}")
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port not in (80, 443):
        host_header = f"{host_header}:{target.port}"
    request_headers = {
        **headers,
        "Host": host_header,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
    }
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    deadline = _Deadline(timeout)
    sock = socket.socket(family, socket.SOCK_STREAM)
    connection = http.client.HTTPConnection(host_header)  # given its socket: never connects
    status: int | None = None
    data = b""
    failure = ""
    try:
        deadline.watch(sock)
        sock.settimeout(deadline.remaining())
        sock.connect((str(address), target.port))
        if target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        sock.settimeout(deadline.remaining())
        connection.sock = sock
        connection.request("POST", target.path, body=body, headers=request_headers)
        response = connection.getresponse()
        status = response.status
        data = response.read(RESPONSE_CAP)
    except (OSError, http.client.HTTPException, ValueError) as failed:
        failure = f"No answer: {type(failed).__name__}"
    finally:
        deadline.close()
        connection.close()
        sock.close()
    duration = elapsed()
    if deadline.passed:
        return Answer(
            status,
            excerpt(data),
            duration,
            f"No complete answer within {timeout:g} seconds: the connection was closed.",
        )
    if failure:
        return Answer(None, "", duration, failure)
    error = "Redirect not followed." if 300 <= status < 400 else ""
    return Answer(status, excerpt(data), duration, error)
