"""GET /healthz: the state of the database, the cache, the broker and the signing keys.

Each Redis check costs at most REDIS_TIMEOUT (settings), so with Redis frozen the answer
is a 503 within about two of them, never a request that hangs."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from licensing import signing
from myaccount.cache import ResilientRedisCache
from myaccount.celery import app


class Down(Exception):
    """A check that knows what is wrong says so; its message is safe to publish."""


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    backend = caches["default"]
    if isinstance(backend, ResilientRedisCache):
        # Its own set/get would succeed from process memory with Redis down.
        backend.check_redis("healthz", "ok")
        return "ok"
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return "in-process"
    # One try, each socket operation bounded by REDIS_TIMEOUT (the broker's transport
    # options): a frozen broker makes /healthz answer 503 at once, not hang.
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=settings.REDIS_TIMEOUT)
        # A Redis broker is asked: a connection taken from the pool opens without a
        # word to the server, and a frozen one keeps its connections open.
        client = getattr(conn.default_channel, "client", None)
        if client is not None:
            client.ping()
    return "ok"


def _check_signing_keys() -> str:
    try:
        mode = signing.configuration_check()
    except signing.SigningKeysMissing:
        raise Down("LICENSING_SIGNING_KEYS is not set") from None
    except ImproperlyConfigured:
        # The details (a key file's path) go to the system check, not to the public.
        raise Down("LICENSING_SIGNING_KEYS is invalid") from None
    return "ok" if mode == "configured" else "development key"


CHECKS = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
    "signing_keys": _check_signing_keys,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    down: list[str] = []
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Down as exc:
            results[name] = f"down: {exc}"
            down.append(name)
        except Exception as exc:  # any failure means "down"; say which and why
            results[name] = f"down: {exc.__class__.__name__}"
            down.append(name)
    body = {"status": "ok" if not down else "down", "checks": results, "down": down}
    return JsonResponse(body, status=200 if not down else 503)
