"""`manage.py licensing_public_key`: the portal's current public key in PEM (DESIGN.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from licensing import signing


class Command(BaseCommand):
    help = "Print the portal's current licensing public key (PEM), to pin in pmm-proxy."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="print every valid key, with its key id"
        )

    def handle(self, *args, **options) -> None:
        if options["all"]:
            for key in signing.signing_keys():
                self.stdout.write(f"# {key.kid}\n{key.public_key_pem}", ending="")
            return
        self.stdout.write(signing.current_signing_key().public_key_pem, ending="")
