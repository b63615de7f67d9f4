"""Run the demo identity provider: migrate its SQLite database, seed it, listen on
loopback and print `READY <port>`.

    python -m demo_idp.serve --db PATH [--seed-file PATH | --seed JSON] [--port N]

Seed: {"users": [{"email", "password", "first_name", "last_name", "groups": [...]}],
       "clients": [{"id", "secret", "redirect_uris": [...]}]}
A database that already holds a user or client of the seed keeps it (restarts are safe).
`--port 0` (the default) takes a free port.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def seed(data: dict) -> None:
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.contrib.auth.models import Group, User

    for person in data.get("users", []):
        user, created = User.objects.get_or_create(
            username=person["email"],
            defaults={
                "email": person["email"],
                "first_name": person.get("first_name", ""),
                "last_name": person.get("last_name", ""),
            },
        )
        user.set_password(person["password"])
        user.save()
        if created:
            EmailAddress.objects.create(
                user=user, email=person["email"], primary=True, verified=True
            )
        for name in person.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    for spec in data.get("clients", []):
        client = Client.objects.filter(id=spec["id"]).first() or Client(
            id=spec["id"], name=spec["id"], skip_consent=True
        )
        client.set_secret(spec["secret"])
        client.set_redirect_uris(spec.get("redirect_uris", []))
        client.set_scopes(["openid", "profile", "email"])
        client.set_default_scopes(["openid", "profile", "email"])
        client.save()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="its SQLite database file")
    parser.add_argument("--seed-file", help="a JSON file of users and clients to create")
    parser.add_argument("--seed", default="{}", help="the same as JSON text")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ["DEMO_IDP_DB"] = args.db
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo_idp.settings"

    import django

    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0)
    seed(json.loads(Path(args.seed_file).read_text() if args.seed_file else args.seed))
    server = make_server(
        "127.0.0.1", args.port, get_wsgi_application(), server_class=_Server, handler_class=_Quiet
    )
    print("READY", server.server_port, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
