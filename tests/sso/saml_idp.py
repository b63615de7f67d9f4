"""A real SAML 2.0 identity provider for the SSO tests: pysaml2's IdP (`saml2.server`),
signing with Debian's xmlsec1, run as a second process (`python -m tests.sso.saml_idp`).
Nothing here is the portal's: it plays a company's Keycloak, Okta or Entra ID.

Its directory (SSO_TEST_SAML_IDP_DIR) holds its key pair (key.pem, cert.pem) and the
metadata of the service providers it trusts (sp/*.xml) and its people (people.json:
[{"email", "password", "first_name", "last_name", "groups": [...]}]), both read at each
request: a test adds the portal's metadata as the administrator would, or moves a
person out of a group.

  GET  /metadata  its metadata (entity id, HTTP-Redirect sign-on URL, signing cert)
  GET  /sso       an AuthnRequest (HTTP-Redirect): the sign-in form
  POST /sso       signed in: a signed response (and assertion) posted to the SP's ACS

The sign-in form also takes `audience` and `lifetime` (minutes), which no real IdP
offers: the refusal tests have it sign an assertion for another service provider, or
one that has expired. Prints `READY <port>` once it listens.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


class IdP:
    def __init__(self, directory: Path, base: str) -> None:
        self.directory = directory
        self.base = base

    @property
    def people(self) -> dict[str, dict]:
        return {p["email"]: p for p in json.loads((self.directory / "people.json").read_text())}

    def server(self, lifetime: int = 15) -> Server:
        sps = sorted(str(p) for p in (self.directory / "sp").glob("*.xml"))
        config = IdPConfig()
        config.load(
            {
                "entityid": f"{self.base}/metadata",
                "service": {
                    "idp": {
                        "name": "Test IdP",
                        "endpoints": {
                            "single_sign_on_service": [(f"{self.base}/sso", BINDING_HTTP_REDIRECT)]
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        # Attributes by their plain names (email, groups), as Keycloak and
                        # Okta send them unless told otherwise.
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": lifetime},
                                "name_form": NAME_FORMAT_BASIC,
                            }
                        },
                    }
                },
                "key_file": str(self.directory / "key.pem"),
                "cert_file": str(self.directory / "cert.pem"),
                "metadata": {"local": sps} if sps else {},
                "xmlsec_binary": shutil.which("xmlsec1"),
                "allow_unknown_attributes": True,
            }
        )
        return Server(config=config)

    def metadata(self) -> str:
        return str(entity_descriptor(self.server().config))

    def sign_in_form(self, saml_request: str, relay_state: str, error: str = "") -> str:
        server = self.server()
        server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)  # refuses garbage
        esc = html.escape
        return f"""<!doctype html><html lang="en"><head><title>Test IdP</title></head><body>
<h1>Sign in to your company</h1>{f'<p role="alert">{esc(error)}</p>' if error else ""}
<form method="post" action="/sso">
<input type="hidden" name="SAMLRequest" value="{esc(saml_request)}">
<input type="hidden" name="RelayState" value="{esc(relay_state)}">
<label for="login">E-mail</label> <input id="login" name="login" type="email">
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit">Sign in</button>
</form></body></html>"""

    def respond(self, form: dict[str, str]) -> str:
        """The signed response to the AuthnRequest in `form`, as the auto-posting form
        of the HTTP-POST binding (its SAMLResponse and RelayState are what a browser
        carries to the portal's ACS)."""
        person = self.people.get(form.get("login", ""))
        if person is None or person["password"] != form.get("password"):
            return self.sign_in_form(
                form["SAMLRequest"], form.get("RelayState", ""), "Wrong e-mail or password."
            )
        server = self.server(lifetime=int(form.get("lifetime") or 15))
        request = server.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT)
        args = server.response_args(request.message, [BINDING_HTTP_POST])
        if form.get("audience"):
            args["sp_entity_id"] = form["audience"]
        email = person["email"]
        response = server.create_authn_response(
            {
                "email": [email],
                "firstName": [person.get("first_name", "")],
                "lastName": [person.get("last_name", "")],
                "groups": person.get("groups", []),
            },
            userid=email,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": PASSWORD_CLASS, "authn_auth": self.base},
            sign_response=True,
            sign_assertion=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **args,
        )
        binding = server.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            args["destination"],
            form.get("RelayState", ""),
            response=True,
        )
        return binding["data"]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def application(idp: IdP):
    def app(environ, start_response):
        path = environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if path == "/metadata":
                body, kind = idp.metadata(), "text/xml"
            elif path == "/sso" and environ["REQUEST_METHOD"] == "GET":
                body = idp.sign_in_form(query["SAMLRequest"], query.get("RelayState", ""))
                kind = "text/html"
            elif path == "/sso" and environ["REQUEST_METHOD"] == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                raw = environ["wsgi.input"].read(size).decode()
                body = idp.respond({k: v[0] for k, v in parse_qs(raw).items()})
                kind = "text/html"
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"Not found"]
        except Exception as error:  # a bad request: say why, as an IdP's error page would
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"{type(error).__name__}: {error}".encode()]
        start_response("200 OK", [("Content-Type", f"{kind}; charset=utf-8")])
        return [body.encode()]

    return app


def main() -> None:
    directory = Path(os.environ["SSO_TEST_SAML_IDP_DIR"])
    (directory / "sp").mkdir(exist_ok=True)
    holder: dict = {}
    server = make_server(
        "127.0.0.1",
        0,
        lambda e, s: holder["app"](e, s),
        server_class=_Server,
        handler_class=_Quiet,
    )
    holder["app"] = application(IdP(directory, f"http://127.0.0.1:{server.server_port}"))
    print("READY", server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
