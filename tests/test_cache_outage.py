"""Redis unreachable (REDIS_URL on a port where nothing listens): people still sign in
and use the pages, /healthz says the cache is down, and the rate limits still hold,
counted in each process's memory until Redis is back (myaccount/cache.py)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import AuditLog
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, password=PASSWORD):
    return client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": password}
    )


def test_people_sign_in_and_use_the_pages_while_redis_is_down(client, alice, redis_down, caplog):
    response = login(client)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)
    assert client.get(reverse("dashboard")).status_code == 200
    assert "Redis cache unreachable" in caplog.text


def test_failed_sign_ins_are_still_limited_while_redis_is_down(client, alice, redis_down):
    for _ in range(5):
        assert login(client, "wrong password").status_code == 200
    response = login(client)

    assert response.status_code in (200, 429)
    assert SESSION_KEY not in client.session


def test_a_key_is_registered_while_redis_is_down(alice_client, company, redis_down):
    subscription = factories.subscription_create(None, licenses=5)

    response = alice_client.post(
        reverse("register_key"), {"key": subscription.primary_key.key, "account": company.pk}
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.account == company
    assert AuditLog.objects.filter(action="subscription.registered").count() == 1


def test_healthz_says_the_cache_is_down(client, redis_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["down"] == ["cache"]
    assert body["checks"]["cache"] == "down: ConnectionError"
    assert body["checks"]["database"] == "ok"
