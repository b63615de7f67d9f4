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
  `RESPONSE_CAP` bytes, and the whole exchange is bounded by `TIMEOUT` seconds.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3.exceptions import HTTPError

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
    loopback = host in LOOPBACK_HOSTS or (literal is not None and literal.is_loopback)
    if scheme == "http" and not (loopback and insecure_allowed()):
        raise TargetRefused(
            _("Enter an https:// URL (http:// is allowed only to this machine, in development).")
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
            raise TargetRefused(
                _("The host %(host)s resolves to %(reason)s (%(address)s).")
                % {"host": host, "reason": reason, "address": address}
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


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` safely (see the module's docstring); never raises for the
    receiver's faults: they are in the answer."""
    started = time.monotonic()
    timeout = float(getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", TIMEOUT))

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = url_check(url)
        address = resolve(target.host, target.port)
    except TargetRefused as refused:
        return Answer(None, "", elapsed(), f"Refused: {refused}")
    pool_kwargs = {
        "host": str(address),
        "port": target.port,
        "timeout": urllib3.Timeout(total=timeout, connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            **pool_kwargs,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(**pool_kwargs)
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port not in (80, 443):
        host_header = f"{host_header}:{target.port}"
    request_headers = {
        **headers,
        "Host": host_header,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
    }
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=request_headers,
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            data = response.read(RESPONSE_CAP, decode_content=False)
        finally:
            response.release_conn()
            response.close()
    except (HTTPError, OSError) as failed:
        return Answer(None, "", elapsed(), f"No answer: {type(failed).__name__}")
    finally:
        pool.close()
    duration = elapsed()
    text = data[:RESPONSE_CAP].decode("utf-8", errors="replace")
    error = ""
    if 300 <= response.status < 400:
        error = "Redirect not followed."
    elif duration > timeout * 1000:
        error = f"Answered after more than {timeout:g} seconds."
    return Answer(response.status, text, duration, error)
