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


def _idp_process_start(module: str, env: dict[str, str], args: tuple[str, ...] = ()):
    """Run a test IdP (`python -m module *args`) in a process of its own and wait for
    its `READY <port>` line: the process and the port."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    environ = {**os.environ, **env}
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=Path(__file__).resolve().parents[2],
        env=environ,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline and not line.startswith("READY"):
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError(f"The test identity provider {module} did not start")
    return process, int(line.split()[1])


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OidcProvider]:
    db = str(tmp_path_factory.mktemp("idp") / "idp.sqlite3")
    seed = {
        "users": [{**u, "password": IDP_PASSWORD} for u in IDP_USERS],
        "clients": [{"id": IDP_CLIENT_ID, "secret": IDP_CLIENT_SECRET, "redirect_uris": []}],
    }
    process, port = _idp_process_start(
        "demo_idp.serve", {}, ("--db", db, "--seed", json.dumps(seed))
    )
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


# --- A real SAML 2.0 identity provider in a second process (tests/sso/saml_idp.py) ----


@dataclass
class SamlProvider:
    base: str
    directory: str

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/metadata"

    def trust(self, sp_metadata: str, name: str = "portal") -> None:
        """Give the IdP a service provider's metadata, as an administrator pastes the
        portal's into their IdP (it reads them at each request)."""
        from pathlib import Path

        (Path(self.directory) / "sp" / f"{name}.xml").write_text(sp_metadata)

    @contextmanager
    def without_groups(self, email: str) -> Iterator[None]:
        """The IdP's administrator takes `email` out of every group for a while."""
        import json
        from pathlib import Path

        path = Path(self.directory) / "people.json"
        kept = path.read_text()
        people = json.loads(kept)
        for person in people:
            if person["email"] == email:
                person["groups"] = []
        path.write_text(json.dumps(people))
        try:
            yield
        finally:
            path.write_text(kept)


def _key_pair(directory) -> None:
    """The IdP's signing key and its self-signed certificate, as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test IdP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="session")
def saml_provider(tmp_path_factory) -> Iterator[SamlProvider]:
    import json

    directory = tmp_path_factory.mktemp("saml-idp")
    (directory / "sp").mkdir()
    _key_pair(directory)
    people = [{**u, "password": IDP_PASSWORD} for u in IDP_USERS]
    (directory / "people.json").write_text(json.dumps(people))
    process, port = _idp_process_start(
        "tests.sso.saml_idp", {"SSO_TEST_SAML_IDP_DIR": str(directory)}
    )
    yield SamlProvider(base=f"http://127.0.0.1:{port}", directory=str(directory))
    process.terminate()
    process.wait(timeout=10)


def saml_idp_sign_in(sso_url: str, *, email: str, password: str = IDP_PASSWORD, **misbehave):
    """Play the person at the SAML IdP: open the sign-on URL the portal sent them to,
    sign in there, and return what their browser would post to the portal: the ACS
    URL and the form ({"SAMLResponse", "RelayState"}). `misbehave` (audience, lifetime)
    goes to the test IdP's form."""
    import re
    from html import unescape
    from urllib.parse import urljoin

    import requests

    session = requests.Session()
    sign_in_page = session.get(sso_url, timeout=10)
    assert sign_in_page.status_code == 200, sign_in_page.text[:2000]
    fields = dict(re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', sign_in_page.text))
    response = session.post(
        urljoin(sso_url, "/sso"),
        data={
            **{k: unescape(v) for k, v in fields.items()},
            "login": email,
            "password": password,
            **misbehave,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text[:2000]
    action = re.search(r'<form[^>]+action="([^"]+)"', response.text)
    posted = dict(re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', response.text))
    assert action and "SAMLResponse" in posted, response.text[:2000]
    return unescape(action.group(1)), {k: unescape(v) for k, v in posted.items()}


@pytest.fixture
def saml_company(alice, company, dns_responder, saml_provider, client):
    """My Company verified mycompany.example, connected the SAML IdP from its metadata
    URL and named its administrators' group, through the services as alice; the IdP
    trusts the portal's metadata (the test client's host is testserver)."""
    from django.urls import reverse

    from sso import saml, services

    # Browsers always send Host; python3-saml reads it (Django's test client does not).
    client.defaults["HTTP_HOST"] = "testserver"
    domain = services.sso_domain_add(account=company, actor=alice, domain="mycompany.example")
    dns_responder.publish("mycompany.example", domain.txt_record)
    services.sso_domain_verify(account=company, actor=alice, domain_id=domain.pk)
    saml.sso_saml_idp_save(account=company, actor=alice, metadata_url=saml_provider.metadata_url)
    services.sso_roles_save(
        account=company, actor=alice, admin_claim="groups", admin_group=IDP_ADMINS
    )
    slug = services.sso_provider_id(company)
    metadata = client.get(reverse("saml_metadata", kwargs={"organization_slug": slug}))
    assert metadata.status_code == 200, metadata.content[:500]
    saml_provider.trust(metadata.content.decode())
    return company


def saml_start(client, email: str) -> str:
    """Continue with SSO on the portal: the IdP's sign-on URL the portal redirects to."""
    from django.urls import reverse

    response = client.post(reverse("sso_start"), {"email": email})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def saml_post(client, acs: str, form: dict):
    """The browser posts the IdP's response to the portal's ACS; allauth moves it to its
    finish view (a redirect): the finish view's response."""
    from urllib.parse import urlsplit

    parts = urlsplit(acs)
    assert parts.netloc == "testserver", acs
    response = client.post(parts.path, form)
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"])


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
