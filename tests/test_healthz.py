import json
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import OperationalError

from myaccount import health


def test_it_reports_database_cache_and_broker(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


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
