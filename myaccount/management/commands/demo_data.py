"""Load demo data that shows every feature: `make run` calls it on each start.

Each app that has something to show adds a `demo.py` with `seed(context)`; they
run in dependency order and pass what they made along in `context`.
"""

from __future__ import annotations

import importlib
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

# An entry with a dot names its module outright (it runs after the apps it builds on).
DEMO_APPS = [
    "accounts",
    "subscriptions",
    "licensing",
    "proxies",
    "accounts.demo_team",
    "reports",
    "support",
    "webhooks",
    "sso",
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo user demo@example.com and its data."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", help="Password for demo@example.com (default: random)")
        parser.add_argument(
            "--webhook-url",
            help="Where the demo company's webhook endpoint delivers (scripts/run.sh gives its "
            "loopback receiver); a test event is sent there at once",
        )
        parser.add_argument(
            "--idp-url",
            help="The demo identity provider's address (scripts/run.sh starts demo_idp): the "
            "demo company signs in with SSO through it",
        )
        parser.add_argument(
            "--idp-seed-file",
            help="Where to write the users and the client the demo identity provider starts with",
        )

    def handle(self, *args, **options) -> None:
        password = options["password"] or secrets.token_urlsafe(9)
        context: dict = {
            "password": password,
            "webhook_url": options["webhook_url"],
            "idp_url": options["idp_url"],
            "idp_seed_file": options["idp_seed_file"],
        }
        with transaction.atomic():
            for app in DEMO_APPS:
                try:
                    module = importlib.import_module(app if "." in app else f"{app}.demo")
                except ModuleNotFoundError:
                    continue
                module.seed(context)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo data ready. Sign in to {settings.SITE_NAME} at {settings.SITE_URL}/ with\n"
                f"  email:    demo@example.com\n  password: {password}\n"
                "The same password signs in their colleagues, Regular Members:\n"
                "  andrew.palmer@example.com, david.lewis@example.com,\n"
                "  jonas.keller@example.com (reads German, on Berlin time)\n"
            )
        )
        if options["idp_url"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Single sign-on: Continue with SSO as sam.sso@mycompany.example, the same\n"
                    f"  password, at the demo identity provider {options['idp_url']}\n"
                )
            )
