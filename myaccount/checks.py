"""System checks of the portal's own configuration.

The rate limits count with `EXPIRE … NX` (myaccount/cache.py), which Redis has from
version 7. Redis 6 answers it with an error: the licensing rate limits would count
nothing (each request goes on, with a warning) and Register Key would answer 500.
`manage.py check` (and so `migrate`, `runserver` and the WSGI start-up in
myaccount/wsgi.py) says so before a request does. A Redis that does not answer within
REDIS_TIMEOUT is not this check's business: the portal runs through an outage
(docs/operations.md), and /healthz names it.
"""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.core import checks

REDIS_MAJOR_NEEDED = 7


@checks.register(checks.Tags.caches)
def redis_version_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not settings.REDIS_URL:
        return []
    client = redis.Redis.from_url(settings.REDIS_URL, **settings.REDIS_SOCKET_OPTIONS)
    try:
        version = str(client.info("server").get("redis_version", ""))
    except redis.RedisError:
        return []
    finally:
        client.close()
    major = version.split(".")[0]
    if major.isdigit() and int(major) < REDIS_MAJOR_NEEDED:
        return [
            checks.Error(
                f"REDIS_URL points at Redis {version}; the portal needs Redis "
                f"{REDIS_MAJOR_NEEDED} or newer (its rate limits count with EXPIRE … NX).",
                hint="Upgrade Redis, or point REDIS_URL at a Redis 7 server.",
                id="myaccount.E001",
            )
        ]
    return []
