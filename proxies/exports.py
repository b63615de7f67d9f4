"""The Proxy Servers CSV: streamed row by row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from proxies.models import ProxyServer
from subscriptions.models import license_key_shown

# Rows fetched per round trip; the export never holds more than this many in memory.
CHUNK_SIZE = 2000
BOM = "\ufeff"
# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# The header and the words in cells are for people: in the reader's language. Dates
# stay ISO (YYYY-MM-DD) and numbers plain, for spreadsheets.
HEADER = [
    gettext_lazy("Server Name"),
    gettext_lazy("License Key"),
    gettext_lazy("Site Code"),
    gettext_lazy("Site Description"),
    gettext_lazy("Offline Use"),
    gettext_lazy("App Version"),
    gettext_lazy("Activation Date"),
    gettext_lazy("Last Report Date"),
    gettext_lazy("Max. Managed Computers"),
    gettext_lazy("Registered Computers"),
    gettext_lazy("Over License Limit"),
    gettext_lazy("Status"),
    gettext_lazy("Activation Key"),
    gettext_lazy("Notes"),
]


def cell_neutralise(value: object) -> object:
    """Prefix a quote to text a spreadsheet would run as a formula; leave numbers alone."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _date(value: datetime | None) -> str:
    return timezone.localtime(value).date().isoformat() if value else ""


@dataclass(frozen=True)
class Words:
    """The header and the words of cells, translated once when the export starts: the
    rows are written as the response streams, after the view has returned."""

    header: list[str]
    yes: str
    no: str
    statuses: dict[str, str]

    @classmethod
    def now(cls) -> Words:
        return cls(
            header=[str(title) for title in HEADER],
            yes=gettext("Yes"),
            no=gettext("No"),
            statuses={value: str(label) for value, label in ProxyServer.Status.choices},
        )


def proxy_server_row(
    server: ProxyServer, over_limit_keys: Container[int], words: Words
) -> list[object]:
    offline = server.license_key.subscription.offline_allowed
    over_limit = server.holds_key and server.license_key_id in over_limit_keys
    return [
        server.server_name,
        license_key_shown(server.license_key.key, viewer=None),
        server.site_code,
        server.site_description,
        words.yes if offline else words.no,
        server.app_version,
        _date(server.activated_at),
        _date(server.last_report_at),
        server.max_computers,
        server.registered_computers,
        words.yes if over_limit else words.no,
        words.statuses.get(server.status, server.status),
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
    (proxies.selectors.account_keys_over_limit), so the file says what the page says.

    The words are translated here, in the language of the request, not when the
    response streams the lines."""
    return _csv_lines(servers, over_limit_keys=over_limit_keys, words=Words.now())


def _csv_lines(
    servers: QuerySet[ProxyServer] | Iterable[ProxyServer],
    *,
    over_limit_keys: Container[int],
    words: Words,
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(words.header)
    rows = servers.iterator(chunk_size=CHUNK_SIZE) if isinstance(servers, QuerySet) else servers
    for server in rows:
        row = proxy_server_row(server, over_limit_keys, words)
        yield writer.writerow([cell_neutralise(v) for v in row])
