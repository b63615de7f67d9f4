"""Celery wiring, as pretix does it: settings namespace CELERY, tasks autodiscovered.

With no broker configured (the zero-setup `make run`), settings turn on
CELERY_TASK_ALWAYS_EAGER and tasks run in-process.
"""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myaccount.settings")

# filesystem:// is kombu's filesystem transport, each message written whole before a
# worker can take it (myaccount/broker.py).
TRANSPORT_ALIASES["filesystem"] = "myaccount.broker:FilesystemTransport"

app = Celery("myaccount")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
