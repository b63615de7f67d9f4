"""A DNS server of the tests' own, on loopback: the portal's resolver is pointed at it
(SSO_DNS_NAMESERVER), and a test publishes or withdraws TXT records by editing a dict.
Built with dnspython's message API, answering over UDP as any authoritative server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from django.test import Client

from accounts.models import Membership
from tests import factories

# The browser fixtures, for the SSO journey in Chromium (test_sso_journey.py).
from tests.e2e.conftest import csp_watch, page  # noqa: F401


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


# --- A real OpenID provider in a second process (demo_idp/, also `make run`'s) ----------

IDP_CLIENT_ID = "myaccount-portal"
IDP_CLIENT_SECRET = "idp-client-secret-for-tests"
IDP_PASSWORD = "idp-password-1"
IDP_ADMINS = "Parallels Business Account Admins"
# The company's people as the IdP knows them.
IDP_USERS = [
    {"email": "erin@mycompany.example", "first_name": "Erin", "last_name": "Engineer"},
    {
        "email": "frank@mycompany.example",
        "first_name": "Frank",
        "last_name": "Boss",
        "groups": [IDP_ADMINS],
    },
    {"email": "gina@mycompany.example", "first_name": "Gina", "last_name": "Existing"},
    {"email": "mallory@other.example", "first_name": "Mallory", "last_name": "Outsider"},
]


@dataclass
class OidcProvider:
    issuer: str
    db: str

    def allow_redirect(self, uri: str) -> None:
        """Register a redirect URI for the portal's client, as the administrator would
        at their IdP (the provider reads its clients from its database per request)."""
        import sqlite3

        with sqlite3.connect(self.db) as conn:
            [current] = conn.execute(
                "SELECT redirect_uris FROM allauth_idp_oidc_client WHERE id = ?", (IDP_CLIENT_ID,)
            ).fetchone()
            uris = [u for u in current.splitlines() if u]
            if uri not in uris:
                conn.execute(
                    "UPDATE allauth_idp_oidc_client SET redirect_uris = ? WHERE id = ?",
                    ("\n".join([*uris, uri]), IDP_CLIENT_ID),
                )

    @contextmanager
    def without_groups(self, email: str) -> Iterator[None]:
        """The IdP's administrator takes `email` out of every group for a while."""
        import sqlite3

        with sqlite3.connect(self.db) as conn:
            [user_id] = conn.execute(
                "SELECT id FROM auth_user WHERE username = ?", (email,)
            ).fetchone()
            kept = conn.execute(
                "SELECT group_id FROM auth_user_groups WHERE user_id = ?", (user_id,)
            ).fetchall()
            conn.execute("DELETE FROM auth_user_groups WHERE user_id = ?", (user_id,))
        try:
            yield
        finally:
            with sqlite3.connect(self.db) as conn:
                conn.executemany(
                    "INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)",
                    [(user_id, group_id) for (group_id,) in kept],
                )


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OidcProvider]:
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    db = str(tmp_path_factory.mktemp("idp") / "idp.sqlite3")
    seed = {
        "users": [{**u, "password": IDP_PASSWORD} for u in IDP_USERS],
        "clients": [{"id": IDP_CLIENT_ID, "secret": IDP_CLIENT_SECRET, "redirect_uris": []}],
    }
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "demo_idp.serve", "--db", db, "--seed", json.dumps(seed)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline and not line.startswith("READY"):
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError("The test identity provider did not start")
    port = int(line.split()[1])
    yield OidcProvider(issuer=f"http://127.0.0.1:{port}", db=db)
    process.terminate()
    process.wait(timeout=10)


def idp_sign_in(authorize_url: str, *, email: str, password: str = IDP_PASSWORD) -> str:
    """Play the person at the IdP: open the authorization URL the portal sent them to,
    sign in there, and return the URL the IdP sends the browser back to (the portal's
    callback, with the code and state)."""
    import re
    from urllib.parse import urljoin, urlsplit

    import requests

    idp_host = urlsplit(authorize_url).netloc
    session = requests.Session()
    url = authorize_url
    for _ in range(10):
        if urlsplit(url).netloc != idp_host:
            return url
        response = session.get(url, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            continue
        if 'name="password"' in response.text:  # the IdP's sign-in page
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
            response = session.post(
                url,
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "login": email,
                    "password": password,
                },
                headers={"Referer": url},
                allow_redirects=False,
                timeout=10,
            )
            assert response.is_redirect, response.text[:2000]
            url = urljoin(url, response.headers["Location"])
            continue
        raise AssertionError(f"Unexpected IdP page at {url}: {response.text[:2000]}")
    raise AssertionError("Too many redirects at the IdP")


@pytest.fixture
def sso_company(alice, company, dns_responder, oidc_provider):
    """My Company verified mycompany.example, connected the IdP and named its
    administrators' group, all through the services as alice."""
    from sso import services

    domain = services.sso_domain_add(account=company, actor=alice, domain="mycompany.example")
    dns_responder.publish("mycompany.example", domain.txt_record)
    services.sso_domain_verify(account=company, actor=alice, domain_id=domain.pk)
    services.sso_idp_save(
        account=company,
        actor=alice,
        issuer=oidc_provider.issuer,
        client_id=IDP_CLIENT_ID,
        client_secret=IDP_CLIENT_SECRET,
    )
    services.sso_roles_save(
        account=company, actor=alice, admin_claim="groups", admin_group=IDP_ADMINS
    )
    # What the administrator registers at the IdP (the test client's host is testserver).
    oidc_provider.allow_redirect(
        f"http://testserver/accounts/oidc/{services.sso_provider_id(company)}/login/callback/"
    )
    return company


def continue_with_sso(client, email: str, *, as_email: str | None = None):
    """Continue with SSO on the portal, sign in at the IdP (as `as_email` if given), and
    come back to the portal's callback: its response."""
    from urllib.parse import urlsplit

    from django.urls import reverse

    response = client.post(reverse("sso_start"), {"email": email})
    assert response.status_code == 302, response.content.decode()[:500]
    back = idp_sign_in(response["Location"], email=as_email or email)
    parts = urlsplit(back)
    assert parts.netloc == "testserver"
    return client.get(f"{parts.path}?{parts.query}")


# --- My Company's people of the verified domain, and "Require SSO" turned on ------------


@pytest.fixture
def erin(company):
    user = factories.user_create("erin@mycompany.example", "Erin", "Engineer")
    factories.membership_create(user, company)
    return user


@pytest.fixture
def frank(company):
    user = factories.user_create("frank@mycompany.example", "Frank", "Boss")
    factories.membership_create(user, company, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def enforced(sso_company, alice, frank, mailoutbox, django_capture_on_commit_callbacks):
    """My Company requires SSO; frank is its break-glass Account Administrator."""
    from sso import services

    with django_capture_on_commit_callbacks(execute=True):
        services.sso_enforcement_save(
            account=sso_company, actor=alice, require_sso=True, break_glass=frank
        )
    return sso_company


def scim_call(method: str, path: str, token: str, body: dict | None = None):
    """The company's IdP calling /scim/v2/<path> with its bearer token."""
    return Client().generic(
        method,
        f"/scim/v2/{path}",
        json.dumps(body) if body is not None else "",
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
