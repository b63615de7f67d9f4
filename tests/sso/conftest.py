"""A DNS server of the tests' own, on loopback: the portal's resolver is pointed at it
(SSO_DNS_NAMESERVER), and a test publishes or withdraws TXT records by editing a dict.
Built with dnspython's message API, answering over UDP as any authoritative server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest


@dataclass
class DnsResponder:
    port: int
    # name -> TXT values it answers with; a name in `failing` answers SERVFAIL.
    txt: dict[str, list[str]] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    queries: list[str] = field(default_factory=list)

    def publish(self, name: str, value: str) -> None:
        self.txt.setdefault(name.lower(), []).append(value)

    def withdraw(self, name: str) -> None:
        self.txt.pop(name.lower(), None)

    def answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.queries.append(name)
        if name in self.failing:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name not in self.txt:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT:
            values = [f'"{v}"' for v in self.txt[name]]
            response.answer.append(
                dns.rrset.from_text(question.name, 300, dns.rdataclass.IN, "TXT", *values)
            )
        return response.to_wire()


@pytest.fixture
def dns_responder(settings) -> Iterator[DnsResponder]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    responder = DnsResponder(port=sock.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            sock.sendto(responder.answer(wire), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.SSO_DNS_NAMESERVER = f"127.0.0.1:{responder.port}"
    settings.SSO_DNS_TIMEOUT = 5
    yield responder
    stop.set()
    thread.join(timeout=5)
    sock.close()
