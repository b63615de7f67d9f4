"""`manage.py licensing_public_key`: the portal's current public key (DESIGN.md).

``--json`` prints ``{"kid", "public_key"}``: what ``pmm-proxy init --portal-public-key``
pins, the key id included, so the proxy names the key exactly as the portal does.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from licensing import signing


class Command(BaseCommand):
    help = "Print the portal's current licensing public key (PEM), to pin in pmm-proxy."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="print every valid key, with its key id"
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='print {"kid", "public_key"} (with --all: {"keys": [...]}, as the API does)',
        )

    def handle(self, *args, **options) -> None:
        keys = signing.signing_keys() if options["all"] else [signing.current_signing_key()]
        if options["json"]:
            entries = [{"kid": key.kid, "public_key": key.public_key_pem} for key in keys]
            if options["all"]:
                document = {"keys": [{**entry, "algorithm": "Ed25519"} for entry in entries]}
            else:
                document = entries[0]
            self.stdout.write(json.dumps(document, indent=2))
            return
        if options["all"]:
            for key in keys:
                self.stdout.write(f"# {key.kid}\n{key.public_key_pem}", ending="")
            return
        self.stdout.write(keys[0].public_key_pem, ending="")
