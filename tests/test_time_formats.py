"""One time format per locale, in the reader's time zone (issue 21).

Pages showed "8:20 a.m." (Django's English TIME_FORMAT), "08:09" and "08:10:41 UTC"
(formats written into templates) side by side, and "UTC" beside times already shown in
the reader's zone. Now each language has one way to write a time
(myaccount/formats/), templates name a format and never write one, and no "UTC" stands
beside a time in the reader's zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation

from tests.webhooks.conftest import endpoint_make
from tests.webhooks.test_pages import failed_delivery

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Named formats follow the language; "c" (ISO 8601, a <time datetime>), "T" (a zone's
# name, in e-mails) and "Y-m-d" (a query parameter) are for machines.
MACHINE_FORMATS = {"c", "T", "Y-m-d"}
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _template_files() -> list[Path]:
    return [p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"}]


def test_templates_name_a_format_and_never_write_one():
    written = {
        (path.name, fmt)
        for path in _template_files()
        for fmt in re.findall(r"\|(?:date|time):[\"']([^\"']*)[\"']", path.read_text())
        if not fmt.endswith("_FORMAT") and fmt not in MACHINE_FORMATS
    }

    assert written == set()


def test_no_utc_stands_beside_a_time_in_the_readers_zone():
    beside = {
        path.name
        for path in _template_files()
        if re.search(r"(\|date:[^}]*\}\}|\{\{ *\w+ *\}\})\s*\(?UTC", path.read_text())
    }

    assert beside == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_writes_a_time_one_way(language):
    with translation.override(language):
        time_format = formats.get_format("TIME_FORMAT")
        assert formats.get_format("DATETIME_FORMAT").endswith(" " + time_format)
        assert formats.get_format("SHORT_DATETIME_FORMAT").endswith(" " + time_format)
        assert formats.get_format("SHORT_DATETIME_FORMAT").startswith(
            formats.get_format("SHORT_DATE_FORMAT")
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "12/07/2026 5:20 PM"),
        ("de", "07.12.2026 17:20"),
        ("ja", "2026/12/07 17:20"),
        ("zh-hans", "2026年12月7日 17:20"),
    ],
)
def test_a_delivery_shows_its_times_in_the_readers_zone_and_format(
    alice, alice_client, company, language, shown
):
    alice.language, alice.time_zone = language, "Asia/Tokyo"
    alice.save(update_fields=["language", "time_zone"])
    endpoint = endpoint_make(company, alice, "https://hooks.example.com/x")[0]
    # 08:20:41 UTC is 17:20 in Tokyo.
    delivery = failed_delivery(endpoint, 1, datetime(2026, 12, 7, 8, 20, 41, tzinfo=UTC))

    page = alice_client.get(reverse("webhook_delivery", args=[endpoint.pk, delivery.pk]))
    html = page.content.decode()

    assert html.count(shown) == 2  # Occurred, and the attempt
    assert "UTC" not in html
    assert "8:20" not in html and "p.m." not in html
    redeliver = alice_client.get(reverse("webhook_endpoint", args=[endpoint.pk]))
    assert "(UTC)" not in redeliver.content.decode()
