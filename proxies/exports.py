"""The Proxy Servers CSV: streamed row by row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import islice

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


def _date(value: datetime | None, zone: tzinfo) -> str:
    # timezone.localtime(value).date(), with the zone looked up once per export.
    return value.astimezone(zone).date().isoformat() if value else ""


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
        # Yes and No fill two cells of every line: neutralised here, once.
        return cls(
            header=[str(title) for title in HEADER],
            yes=cell_neutralise(gettext("Yes")),
            no=cell_neutralise(gettext("No")),
            statuses={value: str(label) for value, label in ProxyServer.Status.choices},
        )


# What the export reads of each server, in this order: plain values (the computed
# columns annotated by proxy_server_queryset), not model instances. Building 10,000
# servers with their key and subscription was a third of the export's time.
ROW_FIELDS = (
    "server_name",
    "license_key__key",
    "site_code",
    "site_description",
    "license_key__subscription__offline_allowed",
    "app_version",
    "activated_at",
    "last_report_at",
    "max_computers",
    "registered_computers",
    "status",
    "license_key_id",
    "activation_id",
    "notes",
)
_HOLDING_STATUSES = frozenset(ProxyServer.HOLDING_STATUSES)


def proxy_server_row(
    values: tuple, over_limit_keys: Container[int], words: Words, zone: tzinfo
) -> list[object]:
    """One line of the file from the values of ROW_FIELDS, safe to open in a
    spreadsheet: text is neutralised (cell_neutralise; Yes and No once, in Words.now);
    the rest (a masked key, dates, numbers, an id) never starts like a formula."""
    (
        server_name,
        key,
        site_code,
        site_description,
        offline,
        app_version,
        activated_at,
        last_report_at,
        max_computers,
        registered_computers,
        status,
        license_key_id,
        activation_id,
        notes,
    ) = values
    # A server holding no key (deactivated) uses none of its licenses: never over.
    over_limit = status in _HOLDING_STATUSES and license_key_id in over_limit_keys
    return [
        cell_neutralise(server_name),
        license_key_shown(key, viewer=None),
        cell_neutralise(site_code),
        cell_neutralise(site_description),
        words.yes if offline else words.no,
        cell_neutralise(app_version),
        _date(activated_at, zone),
        _date(last_report_at, zone),
        max_computers,
        registered_computers,
        words.yes if over_limit else words.no,
        cell_neutralise(words.statuses.get(status, status)),
        str(activation_id),
        cell_neutralise(notes),
    ]


def proxy_servers_csv_lines(
    servers: QuerySet[ProxyServer], *, over_limit_keys: Container[int]
) -> Iterator[str]:
    """`servers`: proxies.selectors.proxy_server_list (filtered and sorted; only
    ROW_FIELDS are read). `over_limit_keys`: the keys over their limit by the License
    Keys table's rule (proxies.selectors.account_keys_over_limit), so the file says
    what the page says.

    The words are translated and the reader's time zone is read here, in the request,
    not when the response streams the lines (by then the request's locale is gone)."""
    return _csv_lines(
        servers,
        over_limit_keys=over_limit_keys,
        words=Words.now(),
        zone=timezone.get_current_timezone(),
    )


def _csv_lines(
    servers: QuerySet[ProxyServer],
    *,
    over_limit_keys: Container[int],
    words: Words,
    zone: tzinfo,
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(words.header)
    yield BOM + buffer.getvalue()
    rows = servers.values_list(*ROW_FIELDS).iterator(chunk_size=CHUNK_SIZE)
    # One piece of the response per CHUNK_SIZE rows, not one per line.
    while chunk := list(islice(rows, CHUNK_SIZE)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(proxy_server_row(row, over_limit_keys, words, zone) for row in chunk)
        yield buffer.getvalue()
