"""Environment defaults for the test suite: the real Postgres and Redis of the machine.

Settings stay one module driven by the environment; this only fills in what the
test runner needs when the caller has not said otherwise, and what makes the suite
quick without changing what it tests.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/myaccount")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault(
    "LICENSING_DEV_KEY_DIR", os.path.join(os.path.dirname(__file__), "..", ".dev")
)

from myaccount.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# pytest-xdist runs the suite in several processes (gw0, gw1, ...): pytest-django gives
# each its own test database, and here each gets cache keys of its own on the shared
# Redis (tests/conftest.py empties only its own before every test). The Celery workers
# and servers the tests start inherit the prefix through the environment.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    CACHE_KEY_PREFIX = f"{CACHE_KEY_PREFIX}-{_worker}"  # noqa: F405
    os.environ["CACHE_KEY_PREFIX"] = CACHE_KEY_PREFIX
    if "KEY_PREFIX" in CACHES["default"]:  # noqa: F405
        CACHES["default"]["KEY_PREFIX"] = CACHE_KEY_PREFIX  # noqa: F405

_database = DATABASES["default"]  # noqa: F405
if _database["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, but the tables are emptied after a committing test with DELETE
    # rather than TRUNCATE (myaccount/testing/postgresql/base.py).
    _database["ENGINE"] = "myaccount.testing.postgresql"
    # A commit does not wait for the disk: a test database is thrown away anyway.
    _database.setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
