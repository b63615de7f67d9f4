"""Environment defaults for the test suite: the real Postgres and Redis of the machine.

Settings stay one module driven by the environment; this only fills in what the
test runner needs when the caller has not said otherwise.
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
