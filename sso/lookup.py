"""Reading a domain's TXT records, through the resolver the settings name.

SSO_DNS_NAMESERVER (host or host:port) points every lookup at one server: tests run
their own on loopback, an operator may name a trusted resolver. Blank: the system's.
"""

from __future__ import annotations

import enum

import dns.exception
import dns.resolver
from django.conf import settings


class Found(enum.Enum):
    YES = "yes"  # the record is published
    NO = "no"  # the domain answered, without the record (or does not exist)
    UNKNOWN = "unknown"  # no answer: a timeout or a broken server says nothing either way


def _resolver() -> dns.resolver.Resolver:
    server = settings.SSO_DNS_NAMESERVER
    if not server:
        resolver = dns.resolver.Resolver()
    else:
        resolver = dns.resolver.Resolver(configure=False)
        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        resolver.nameservers = [host or server]
        if port:
            resolver.port = int(port)
    resolver.lifetime = settings.SSO_DNS_TIMEOUT
    resolver.timeout = settings.SSO_DNS_TIMEOUT
    return resolver


def txt_record_published(domain: str, record: str) -> Found:
    """Whether `record` is one of the TXT strings of `domain` (exactly, case kept)."""
    try:
        answer = _resolver().resolve(domain, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return Found.NO
    except (dns.resolver.NoNameservers, dns.exception.Timeout, dns.exception.DNSException):
        return Found.UNKNOWN
    for rdata in answer:
        # A long TXT value comes in 255-byte strings that make one value together.
        value = b"".join(rdata.strings).decode("utf-8", "replace").strip()
        if value == record:
            return Found.YES
    return Found.NO
