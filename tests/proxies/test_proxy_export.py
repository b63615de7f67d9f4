from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation

from proxies import exports
from proxies.exports import HEADER, cell_neutralise
from proxies.models import ProxyServer
from tests.proxies import factories as f

URL = reverse("proxy_export")


def read(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # a spreadsheet reads it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_it_streams_a_csv_attachment(alice_client, company):
    f.proxy_create(company, server_name="Zürich büro", site_code="Z1", registered_computers=3)
    response = alice_client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="proxy-servers-')
    rows = read(response)
    assert rows[0] == HEADER
    assert rows[1][0] == "Zürich büro"
    assert rows[1][1].startswith("•••••-•••••-…-")
    assert rows[1][2] == "Z1"
    assert rows[1][9] == "3"
    assert rows[1][11] == "Activated"


def test_formulas_are_neutralised(alice_client, company):
    f.proxy_create(
        company,
        server_name='=HYPERLINK("http://evil.example","click")',
        site_code="+1",
        site_description="-2+3",
        notes="@SUM(A1)",
        app_version="\t=1",
    )
    row = read(alice_client.get(URL))[1]
    assert row[0] == '\'=HYPERLINK("http://evil.example","click")'
    assert row[2] == "'+1"
    assert row[3] == "'-2+3"
    assert row[5] == "'\t=1"
    assert row[13] == "'@SUM(A1)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (5, 5),
        ("", ""),
    ],
)
def test_cell_neutralise(value, expected):
    assert cell_neutralise(value) == expected


def test_it_exports_what_the_filter_shows_when_nothing_is_selected(alice_client, company):
    today = timezone.localdate()
    f.proxy_create(company, server_name="live")
    f.proxy_create(company, server_name="old", ends_on=today - timedelta(days=3))
    f.proxy_create(company, server_name="off", status=ProxyServer.Status.DEACTIVATED)
    names = [r[0] for r in read(alice_client.get(URL, {"display": "expired"}))[1:]]
    assert names == ["old"]
    names = [r[0] for r in read(alice_client.get(URL, {"q": "o", "sort": "-server_name"}))[1:]]
    assert names == ["old", "off"]


def test_it_exports_only_the_selected_rows(alice_client, company, other_company):
    a = f.proxy_create(company, server_name="a")
    f.proxy_create(company, server_name="b")
    c = f.proxy_create(company, server_name="c")
    foreign = f.proxy_create(other_company, server_name="foreign")
    rows = read(alice_client.get(URL, {"id": [c.pk, a.pk, foreign.pk], "display": "expired"}))
    # The selection wins over the filter; another account's server is never exported.
    assert [r[0] for r in rows[1:]] == ["a", "c"]


def test_it_streams_every_row_once_across_chunks(alice_client, company, monkeypatch):
    # 100,000 rows never sit in memory: the file is streamed, read in chunks of
    # CHUNK_SIZE rows; 25 rows in chunks of 10 lose and repeat none at the seams.
    f.proxies_bulk_create(company, 25)
    monkeypatch.setattr(exports, "CHUNK_SIZE", 10)
    response = alice_client.get(URL)
    assert response.streaming
    rows = read(response)
    assert len(rows) == 26
    names = [r[0] for r in rows[1:]]
    assert len(set(names)) == 25


def test_the_export_is_scoped_to_the_current_account(charlie_client, company):
    f.proxy_create(company, server_name="secret")
    rows = read(charlie_client.get(URL))
    assert rows == [HEADER]


def test_over_the_limit_follows_the_license_keys_table(alice_client, company):
    # 10 licenses, 8 reserved for a branch: the primary key's pool is 2, its server
    # manages 3 — over the limit although 3 < 10, exactly as the page shows it.
    subscription = f.subscription_create(company, licenses=10)
    primary = f.key_create(subscription)
    branch = f.key_create(subscription, primary=False, quota=8)
    f.proxy_create(company, key=primary, server_name="hq", registered_computers=3)
    f.proxy_create(company, key=branch, server_name="branch", registered_computers=8)
    rows = {row[0]: row for row in read(alice_client.get(URL))[1:]}
    over = HEADER.index("Over License Limit")
    assert rows["hq"][over] == "Yes"
    assert rows["branch"][over] == "No"
    page = alice_client.get(reverse("proxy_list")).content.decode()
    assert page.count("Over the limit by") == 1


def test_dates_are_in_the_readers_time_zone_and_words_in_their_language(
    alice, alice_client, company
):
    # 23:30 UTC on 30 November is already 1 December in Tokyo.
    from datetime import UTC, datetime

    f.proxy_create(
        company, server_name="tokyo", last_report_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    )
    alice.language, alice.time_zone = "ja", "Asia/Tokyo"
    alice.save(update_fields=["language", "time_zone"])

    rows = read(alice_client.get(URL))

    assert rows[1][7] == "2026-12-01"
    with translation.override("en"):
        assert rows[0] != [str(title) for title in HEADER]  # the header in Japanese
    assert rows[1][11] != "Activated"
