"""gunicorn's configuration for the portal: docker-compose, the Dockerfile and
bench/activation.py all start it with ``gunicorn myaccount.wsgi -c gunicorn.conf.py``.

Environment (all optional):

- ``GUNICORN_BIND`` — address to listen on (``0.0.0.0:8000``);
- ``WEB_CONCURRENCY`` — sync worker processes (2 x CPUs + 1, gunicorn's advice);
- ``GUNICORN_TIMEOUT`` — seconds before a silent worker is restarted (30);
- ``GUNICORN_ACCESS_LOG`` — ``-`` for stdout, a path, or empty for none (none);
- ``LOG_LEVEL`` — as for Django (``info``).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# Sync workers: every request is short (no streaming to slow clients: the CSV export is
# generated fast and a reverse proxy buffers it), and each worker keeps one database
# connection (CONN_MAX_AGE) and one Redis connection pool.
# gunicorn's own error answers (a request line too long, malformed headers) in the API's
# JSON error shape instead of its HTML page (myaccount/gunicorn_worker.py).
worker_class = "myaccount.gunicorn_worker.JsonErrorSyncWorker"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Django and the portal's signing keys (myaccount/wsgi.py) load once, in the master; the
# workers fork with them in place and share those pages, and a signing key that cannot be
# read stops the start instead of failing the first request.
preload_app = True
# The workers' heartbeat file in memory: a slow or overlay disk (Docker) never stalls them.
# gunicorn creates it there with mkstemp (private, unpredictable name).
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
# The longest request line the API's OpenAPI document allows (a 1,000-character cursor,
# a 100-character search of 4-byte characters, every filter at its longest; URL-encoded)
# must reach Django, which answers in JSON; gunicorn's default (4,094 bytes) answered
# such a request with its own HTML 414. 8,190 is gunicorn's largest; the test of the
# schema against it is tests/test_gunicorn.py.
limit_request_line = 8190
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
