"""Celery wiring, as pretix does it: settings namespace CELERY, tasks autodiscovered.

With no broker configured (the zero-setup `make run`), settings turn on
CELERY_TASK_ALWAYS_EAGER and tasks run in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myaccount.settings")

app = Celery("myaccount")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
