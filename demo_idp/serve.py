"""Run the test identity provider: migrate its SQLite database, seed it from the JSON in
SSO_TEST_IDP_SEED, listen on a free loopback port and print `READY <port>`.

Seed: {"users": [{"email", "password", "first_name", "last_name", "groups": [...]}],
       "clients": [{"id", "secret", "redirect_uris": [...]}]}
"""

from __future__ import annotations

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.idp.settings"

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from allauth.idp.oidc.models import Client  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def seed(data: dict) -> None:
    for person in data.get("users", []):
        user = User.objects.create_user(
            username=person["email"],
            email=person["email"],
            password=person["password"],
            first_name=person.get("first_name", ""),
            last_name=person.get("last_name", ""),
        )
        EmailAddress.objects.create(user=user, email=person["email"], primary=True, verified=True)
        for name in person.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    for spec in data.get("clients", []):
        client = Client(id=spec["id"], name=spec["id"], skip_consent=True)
        client.set_secret(spec["secret"])
        client.set_redirect_uris(spec.get("redirect_uris", []))
        client.set_scopes(["openid", "profile", "email"])
        client.set_default_scopes(["openid", "profile", "email"])
        client.save()


def main() -> None:
    call_command("migrate", verbosity=0)
    seed(json.loads(os.environ.get("SSO_TEST_IDP_SEED", "{}")))
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=_Server, handler_class=_Quiet
    )
    print("READY", server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
