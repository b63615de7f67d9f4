"""The site's one name and one public address (SITE_NAME, SITE_URL) on the Sites record.

allauth's e-mails read the Sites record ("Hello from {{ current_site.name }}"); every
other e-mail reads the settings. A data migration writes the record once, and every
`migrate` (which `make run` and docker-compose's web run on start) writes it again, so
changing the environment changes what the e-mails say.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.apps import apps as global_apps
from django.conf import settings


def site_values() -> dict[str, str]:
    return {
        "domain": (urlsplit(settings.SITE_URL).netloc or settings.SITE_URL)[:100],
        "name": settings.SITE_NAME[:50],
    }


def site_sync(site_model, *, using: str = "default") -> None:
    """Make the current Sites record say SITE_NAME and SITE_URL's host."""
    site_model.objects.using(using).update_or_create(pk=settings.SITE_ID, defaults=site_values())


def site_sync_after_migrate(sender, *, apps=global_apps, using: str = "default", **kwargs) -> None:
    """post_migrate (sent by `migrate` and `flush`): the Sites record follows the settings."""
    try:
        site_model = apps.get_model("sites", "Site")
    except LookupError:  # migrating back to before the sites app
        return
    site_sync(site_model, using=using)
    site_model.objects.clear_cache()
