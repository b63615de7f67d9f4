"""Reads for the Proxy Servers page, its details dialog and its CSV export.

Every read is scoped to one account: a server of another account is never found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, Right

from accounts.models import Account, User
from proxies.models import ProxyListPreference, ProxyServer, UsageReport
from subscriptions.models import LicenseKey, license_key_search_q
from subscriptions.selectors import license_key_availabilities, license_keys_with_usage

# "Expiring soon" on the Display drop-down: the key ends within this many days.
EXPIRING_SOON_DAYS = 30


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str  # the field or annotation the column sorts by
    numeric: bool = False


# The columns of the guide's "gear" picker, in the guide's order.
COLUMNS: tuple[Column, ...] = (
    Column("server_name", "Server Name", "server_name"),
    Column("license_key", "License Key", "key_visible"),
    Column("site_code", "Site Code", "site_code"),
    Column("site_description", "Site Description", "site_description"),
    Column("offline_use", "Offline Use", "license_key__subscription__offline_allowed"),
    Column("app_version", "App Version", "app_version"),
    Column("activation_date", "Activation Date", "activated_at"),
    Column("last_report_date", "Last Report Date", "last_report_at"),
    Column("max_computers", "Max. Managed Computers", "max_computers", numeric=True),
    Column("registered_computers", "Registered Computers", "registered_computers", numeric=True),
    Column("notes", "Notes", "notes"),
)
COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}
# The server name links to the details, so it always shows.
REQUIRED_COLUMNS = ("server_name",)
# What the guide's screenshot shows before anyone picks.
DEFAULT_COLUMNS = (
    "server_name",
    "license_key",
    "site_code",
    "offline_use",
    "app_version",
    "activation_date",
)
DEFAULT_SORT = "server_name"


class Display:
    """The Display drop-down above the list."""

    ALL = "all"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    DEACTIVATED = "deactivated"
    CHOICES = (
        (ALL, "All"),
        (EXPIRING, "Expiring soon"),
        (EXPIRED, "Expired"),
        (DEACTIVATED, "Deactivated"),
    )


def _key_end_date() -> Case:
    # LicenseKey.end_date in SQL: a sublicense ends with its subscription unless it has
    # its own, earlier date.
    subscription_end = F("license_key__subscription__ends_on")
    return Case(
        When(
            Q(license_key__type="primary")
            | Q(license_key__renew_with_subscription=True)
            | Q(license_key__expires_on__isnull=True),
            then=subscription_end,
        ),
        default=Least("license_key__expires_on", subscription_end),
    )


def _max_computers() -> Case:
    # The licenses allocated to the key: the whole pool for the primary key, the quota
    # for a sublicense.
    return Case(
        When(license_key__type="primary", then=F("license_key__subscription__licenses")),
        default=Coalesce("license_key__quota", Value(0)),
        output_field=IntegerField(),
    )


def proxy_server_queryset(*, account: Account) -> QuerySet[ProxyServer]:
    """The account's servers with what the list shows, computed by the database."""
    return (
        ProxyServer.objects.filter(account=account)
        .select_related("license_key__subscription")
        .annotate(
            key_end=_key_end_date(),
            max_computers=_max_computers(),
            key_visible=Right("license_key__key", 5),
        )
        .annotate(
            over_limit=ExpressionWrapper(
                Q(registered_computers__gt=F("max_computers")), output_field=BooleanField()
            )
        )
    )


def _display_conditions(*, today: date) -> dict[str, Q]:
    not_deactivated = ~Q(status=ProxyServer.Status.DEACTIVATED)
    soon = today + timedelta(days=EXPIRING_SOON_DAYS)
    return {
        Display.ALL: Q(),
        Display.EXPIRING: not_deactivated & Q(key_end__gte=today, key_end__lte=soon),
        Display.EXPIRED: not_deactivated & Q(key_end__lt=today),
        Display.DEACTIVATED: Q(status=ProxyServer.Status.DEACTIVATED),
    }


def _search_q(q: str) -> Q:
    q = (q or "").strip()
    if not q:
        return Q()
    condition = (
        Q(server_name__icontains=q) | Q(site_code__icontains=q) | Q(site_description__icontains=q)
    )
    key_match = license_key_search_q(q, field="license_key__key")
    if key_match is not None:
        condition |= key_match
    return condition


def _search(qs: QuerySet[ProxyServer], q: str) -> QuerySet[ProxyServer]:
    return qs.filter(_search_q(q))


def proxy_server_list(
    *,
    account: Account,
    today: date,
    display: str = Display.ALL,
    q: str = "",
    sort: str = DEFAULT_SORT,
    ids: list[int] | None = None,
) -> QuerySet[ProxyServer]:
    """The servers the list (or the export) shows: filtered, searched and sorted.

    `ids` (the rows ticked on the page) replaces the Display filter and the search.
    """
    qs = proxy_server_queryset(account=account)
    if ids is not None:
        qs = qs.filter(id__in=ids)
    else:
        conditions = _display_conditions(today=today)
        qs = _search(qs, q).filter(conditions.get(display, Q()))
    return qs.order_by(*proxy_server_ordering(sort))


def proxy_server_ordering(sort: str) -> list:
    descending = sort.startswith("-")
    column = COLUMNS_BY_KEY.get(sort.lstrip("-")) or COLUMNS_BY_KEY[DEFAULT_SORT]
    # `id` breaks ties so that every row has one place and pages never overlap.
    if descending:
        return [F(column.sort).desc(nulls_last=True), "-id"]
    return [F(column.sort).asc(nulls_first=True), "id"]


def proxy_server_counts(
    *, account: Account, today: date, q: str = "", total: bool = False
) -> dict[str, int]:
    """How many servers each Display choice shows (within the search); with `total`,
    also all the account's servers whatever the search (the navigation's "Proxy Servers
    (N)"). One aggregate query."""
    conditions = _display_conditions(today=today)
    search = _search_q(q)
    counts = {key: Count("id", filter=search & condition) for key, condition in conditions.items()}
    if total:
        counts["total"] = Count("id")
    return proxy_server_queryset(account=account).aggregate(**counts)


def license_keys_over_limit(
    keys: QuerySet[LicenseKey] | None = None, *, subscription_ids=None, today: date
) -> set[int]:
    """Ids of the live keys over their limit by the pool rule of the License Keys table
    (subscriptions.quota.key_availability): a dynamic key or the primary key is over as
    soon as the pool is, not only past its own quota. One query."""
    if keys is None:
        keys = LicenseKey.objects.filter(subscription_id__in=subscription_ids or [])
    keys = list(license_keys_with_usage(keys.filter(deleted_at__isnull=True)))
    availabilities = license_key_availabilities(keys, today=today)
    return {
        key.pk for key in keys if key.is_live(today=today) and availabilities[key.pk].over_limit
    }


def account_keys_over_limit(*, account: Account, today: date) -> set[int]:
    """`license_keys_over_limit` for every key of the account: one query, however many
    servers an export then streams."""
    return license_keys_over_limit(
        LicenseKey.objects.filter(subscription__account=account), today=today
    )


def proxy_servers_over_limit(servers: list[ProxyServer], *, today: date) -> list[ProxyServer]:
    """Flag (`over_limit`) each server whose license key is over its limit (see
    `license_keys_over_limit`). A deactivated server uses no key and is never over.
    One query, for the live keys of the servers' subscriptions, whatever their number."""
    subscription_ids = {s.license_key.subscription_id for s in servers if s.holds_key}
    over = (
        license_keys_over_limit(subscription_ids=subscription_ids, today=today)
        if subscription_ids
        else set()
    )
    for server in servers:
        server.over_limit = server.holds_key and server.license_key_id in over
    return servers


def proxy_server_get(*, account: Account, pk: int) -> ProxyServer | None:
    return proxy_server_queryset(account=account).filter(pk=pk).first()


def usage_report_list(*, proxy_server: ProxyServer) -> list[UsageReport]:
    """Every report of the server, oldest first: one query whatever their number."""
    return list(UsageReport.objects.filter(proxy_server=proxy_server).order_by("date", "id"))


def proxy_list_columns(*, user: User) -> list[str]:
    """The columns the user picked with the gear (or the defaults), in the guide's order."""
    preference = ProxyListPreference.objects.filter(user=user).only("columns").first()
    picked = set(preference.columns) if preference is not None else set(DEFAULT_COLUMNS)
    picked.update(REQUIRED_COLUMNS)
    return [c.key for c in COLUMNS if c.key in picked]
