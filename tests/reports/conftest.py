from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

# Monday 03/10/2025, 06:00 UTC: the beat runs the weekly report for the week of 03/03.
MONDAY = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
WEEK = date(2025, 3, 3)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False):
        yield MONDAY


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
