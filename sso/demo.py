"""The demo company's Single Sign-On page, begun: its e-mail domain is verified (step 1
green), the identity provider is still to connect.

Idempotent: `make run` calls it on each start. The domain is a reserved .example name
with no real TXT record, so the daily re-check un-verifies it and the next start
verifies it again; no DNS is asked here.
"""

from __future__ import annotations

import secrets

from django.utils import timezone

from sso.models import SsoDomain

DOMAIN = "mycompany.example"


def seed(context: dict) -> None:
    company = context.get("company")
    if company is None:
        return
    now = timezone.now()
    # Free the name if an earlier demo gave it to another account.
    SsoDomain.objects.filter(domain=DOMAIN).exclude(account=company).delete()
    SsoDomain.objects.update_or_create(
        account=company,
        domain=DOMAIN,
        defaults={"verified_at": now, "last_checked": now},
        create_defaults={
            "token": secrets.token_urlsafe(24),
            "verified_at": now,
            "last_checked": now,
        },
    )
