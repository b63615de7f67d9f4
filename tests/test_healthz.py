import json
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import OperationalError

from licensing.client import envelope
from myaccount import health


def test_it_reports_database_cache_and_broker(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.LICENSING_SIGNING_KEYS = ""
    settings.LICENSING_DEV_KEY_ALLOWED = True
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "signing_keys": "development key",
    }


def test_it_answers_503_naming_what_is_down(client, db, monkeypatch):
    def broken_cache():
        raise ConnectionError("redis is gone")

    monkeypatch.setitem(health.CHECKS, "cache", broken_cache)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["down"] == ["cache"]
    assert body["checks"]["cache"] == "down: ConnectionError"
    assert body["checks"]["database"] == "ok"


class _BrokenCursor:
    """What a cursor does once Postgres is gone: every statement fails."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def execute(self, sql, params=None):
        raise OperationalError("server closed the connection unexpectedly")


def test_a_broken_database_answers_503(client, db, monkeypatch):
    monkeypatch.setattr(health, "connection", SimpleNamespace(cursor=_BrokenCursor))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert (body["status"], body["down"]) == ("down", ["database"])
    assert body["checks"]["database"] == "down: OperationalError"
    assert body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_an_unreachable_broker_is_reported(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from myaccount.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert json.loads(response.content)["down"] == ["broker"]
    assert cache.get("healthz") == "ok"


@pytest.mark.django_db
def test_it_names_the_missing_signing_keys_in_production(client, settings):
    settings.LICENSING_SIGNING_KEYS = ""
    settings.LICENSING_DEV_KEY_ALLOWED = False

    response = client.get("/healthz")

    assert response.status_code == 503
    body = json.loads(response.content)
    assert (body["status"], body["down"]) == ("down", ["signing_keys"])
    assert body["checks"]["signing_keys"] == "down: LICENSING_SIGNING_KEYS is not set"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_configured_signing_keys_are_ok(client, settings, tmp_path):
    key = tmp_path / "portal.pem"
    key.write_text(envelope.private_key_pem(envelope.generate_private_key()))
    settings.LICENSING_SIGNING_KEYS = f"portal-1={key}"
    settings.LICENSING_DEV_KEY_ALLOWED = False

    response = client.get("/healthz")

    assert json.loads(response.content)["checks"]["signing_keys"] == "ok"


@pytest.mark.django_db
def test_an_unreadable_signing_key_is_down_without_telling_where_it_is(client, settings, tmp_path):
    settings.LICENSING_SIGNING_KEYS = f"portal-1={tmp_path / 'secret-place' / 'portal.pem'}"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["signing_keys"] == "down: LICENSING_SIGNING_KEYS is invalid"
    assert "secret-place" not in response.content.decode()
