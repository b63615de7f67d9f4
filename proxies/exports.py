"""The Proxy Servers CSV: streamed row by row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Container, Iterable, Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from proxies.models import ProxyServer
from subscriptions.models import license_key_shown

# Rows fetched per round trip; the export never holds more than this many in memory.
CHUNK_SIZE = 2000
BOM = "\ufeff"
# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

HEADER = [
    "Server Name",
    "License Key",
    "Site Code",
    "Site Description",
    "Offline Use",
    "App Version",
    "Activation Date",
    "Last Report Date",
    "Max. Managed Computers",
    "Registered Computers",
    "Over License Limit",
    "Status",
    "Activation Key",
    "Notes",
]


def cell_neutralise(value: object) -> object:
    """Prefix a quote to text a spreadsheet would run as a formula; leave numbers alone."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _date(value: datetime | None) -> str:
    return timezone.localtime(value).date().isoformat() if value else ""


def proxy_server_row(server: ProxyServer, over_limit_keys: Container[int]) -> list[object]:
    return [
        server.server_name,
        license_key_shown(server.license_key.key, viewer=None),
        server.site_code,
        server.site_description,
        "Yes" if server.license_key.subscription.offline_allowed else "No",
        server.app_version,
        _date(server.activated_at),
        _date(server.last_report_at),
        server.max_computers,
        server.registered_computers,
        "Yes" if server.holds_key and server.license_key_id in over_limit_keys else "No",
        server.get_status_display(),
        str(server.activation_id),
        server.notes,
    ]


class _Echo:
    """A file-like object whose write() hands the line back (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def proxy_servers_csv_lines(
    servers: QuerySet[ProxyServer] | Iterable[ProxyServer], *, over_limit_keys: Container[int]
) -> Iterator[str]:
    """`over_limit_keys`: the keys over their limit by the License Keys table's rule
    (proxies.selectors.account_keys_over_limit), so the file says what the page says."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(HEADER)
    rows = servers.iterator(chunk_size=CHUNK_SIZE) if isinstance(servers, QuerySet) else servers
    for server in rows:
        row = proxy_server_row(server, over_limit_keys)
        yield writer.writerow([cell_neutralise(v) for v in row])
