"""scim2-models is imported by the processes that serve SCIM, on their first SCIM request,
never at start-up: it costs a process about 1 CPU-second to import, and every gunicorn
worker, Celery worker and manage.py command would pay it (sso/scim_urls.py)."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings
from django.test import Client

START_UP = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "myaccount.settings"
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import myaccount.wsgi, myaccount.celery
print(sorted(m for m in sys.modules if m.startswith(("scim2_models", "sso.scim"))))
"""


def test_a_process_starts_without_scim2_models():
    result = subprocess.run(
        [sys.executable, "-c", START_UP],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['sso.scim_urls']"


def test_the_first_scim_request_is_served_in_full(db):
    response = Client().get("/scim/v2/ServiceProviderConfig")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/scim+json"
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
