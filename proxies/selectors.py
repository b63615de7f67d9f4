"""Reads of what the installations use: the Proxy Servers page, its details dialog
and CSV export, and every number that needs "used" (the License Keys table, the
Dashboard's over-limit line, what the proxy is told).

Every read is scoped to one account: a server of another account is never found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from django.db import connections, router
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Membership, User
from proxies.models import ProxyListPreference, ProxyServer, UsageReport, proxy_server_expired_q
from subscriptions import quota
from subscriptions import selectors as subscription_selectors
from subscriptions.models import (
    LicenseKey,
    Product,
    Subscription,
    license_key_display_name_sort_expression,
    license_key_end_date_expression,
    license_key_expired,
    license_key_expired_q,
    license_key_expiring_soon_q,
    license_key_last_group_expression,
    license_key_licenses_expression,
    license_key_search_q,
    license_key_visible_q,
    subscription_active_q,
    subscription_ending_q,
)
from subscriptions.selectors import LICENSE_KEY_SORTS

# A server that holds a key and has not reported (or, never having reported, was
# activated) for longer than this is "silent": the Dashboard, the Display filter and
# the weekly report agree on it.
SILENT_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str  # the field or annotation the column sorts by
    numeric: bool = False
    nullable: bool = False  # empty cells sort first going up, last going down


# The columns of the guide's "gear" picker, in the guide's order.
COLUMNS: tuple[Column, ...] = (
    Column("server_name", _("Server Name"), "server_name"),
    Column("license_key", _("License Key"), "key_visible"),
    Column("site_code", _("Site Code"), "site_code"),
    Column("site_description", _("Site Description"), "site_description"),
    Column("offline_use", _("Offline Use"), "license_key__subscription__offline_allowed"),
    Column("app_version", _("App Version"), "app_version"),
    Column("activation_date", _("Activation Date"), "activated_at"),
    Column("last_report_date", _("Last Report Date"), "last_report_at", nullable=True),
    Column("max_computers", _("Max. Managed Computers"), "max_computers", numeric=True),
    Column("registered_computers", _("Registered Computers"), "registered_computers", numeric=True),
    Column("notes", _("Notes"), "notes"),
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
    SILENT = "silent"
    DEACTIVATED = "deactivated"
    BLACKLISTED = "blacklisted"
    CHOICES = (
        (ALL, _("All")),
        (EXPIRING, _("Expiring soon")),
        (EXPIRED, _("Expired")),
        (SILENT, _("Silent for more than 7 days")),
        (DEACTIVATED, _("Deactivated")),
        (BLACKLISTED, _("Blacklisted")),
    )


def proxy_server_queryset(
    *, account: Account, viewer: Membership | None = None
) -> QuerySet[ProxyServer]:
    """The account's servers with what the list shows, computed by the database. With
    `viewer`, only the servers of the keys they see (a License Administrator: the keys
    they administer; `license_key_visible_q`), in the same query."""
    return (
        ProxyServer.objects.filter(account=account)
        .filter(license_key_visible_q(viewer, field="license_key_id"))
        .select_related("license_key__subscription")
        .annotate(
            key_end=license_key_end_date_expression(prefix="license_key__"),
            max_computers=license_key_licenses_expression(prefix="license_key__"),
            key_visible=license_key_last_group_expression("license_key__key"),
            last_seen=Coalesce("last_report_at", "activated_at"),
        )
    )


def _display_conditions(*, today: date) -> dict[str, Q]:
    not_deactivated = ~Q(status=ProxyServer.Status.DEACTIVATED)
    return {
        Display.ALL: Q(),
        Display.EXPIRING: not_deactivated & license_key_expiring_soon_q(today),
        Display.EXPIRED: proxy_server_expired_q(today),
        Display.SILENT: Q(status__in=ProxyServer.HOLDING_STATUSES)
        & Q(last_seen__date__lt=today - SILENT_AFTER),
        Display.DEACTIVATED: Q(status=ProxyServer.Status.DEACTIVATED),
        Display.BLACKLISTED: Q(blacklisted_at__isnull=False),
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
    viewer: Membership | None = None,
) -> QuerySet[ProxyServer]:
    """The servers the list (or the export) shows: filtered, searched and sorted.

    `ids` (the rows ticked on the page) replaces the Display filter and the search.
    """
    conditions = _display_conditions(today=today)
    # The badges of the "All" list say what the Display filter would: one condition each.
    qs = proxy_server_queryset(account=account, viewer=viewer).annotate(
        expiring_soon=ExpressionWrapper(conditions[Display.EXPIRING], BooleanField()),
        expired=ExpressionWrapper(conditions[Display.EXPIRED], BooleanField()),
    )
    if ids is not None:
        qs = qs.filter(id__in=ids)
    else:
        qs = _search(qs, q).filter(conditions.get(display, Q()))
    return qs.order_by(*proxy_server_ordering(sort))


class ProxyServerPages:
    """`servers` (proxy_server_list) as a paginator slices it: a page is read by its
    sorted ids first, LIMIT/OFFSET over the narrow join, then those rows with all the
    page shows, in the same order. One query either way; but sorting 10,000 ids and
    the sort column is two to three times faster than sorting 10,000 wide rows with
    their computed columns (License Key, Offline Use, every column no index serves, a
    far page: EXPLAIN ANALYZE in the commit that added it), and the page's CASEs run
    for its 50 rows only."""

    ordered = True  # the paginator's check: proxy_server_list always orders

    def __init__(self, servers: QuerySet[ProxyServer]) -> None:
        self.servers = servers

    def __getitem__(self, page: slice) -> QuerySet[ProxyServer]:
        return self.servers.filter(id__in=self.servers.values("id")[page])


def proxy_server_ordering(sort: str) -> list:
    descending = sort.startswith("-")
    column = COLUMNS_BY_KEY.get(sort.lstrip("-")) or COLUMNS_BY_KEY[DEFAULT_SORT]
    # `id` breaks ties so that every row has one place and pages never overlap. NULLS
    # is spelled out only where a column has empty cells: an ORDER BY that says it on a
    # NOT NULL column no longer matches the column's index (ProxyServer.Meta.indexes).
    nulls = {"nulls_last": True} if descending else {"nulls_first": True}
    order = F(column.sort).desc if descending else F(column.sort).asc
    return [order(**nulls) if column.nullable else order(), "-id" if descending else "id"]


def proxy_servers_silent_by_product(
    *, account: Account | None, today: date, viewer: Membership | None = None
) -> dict[int, int]:
    """Silent servers (Display "Silent for more than 7 days") per product id, for the
    Dashboard. One query."""
    if account is None:
        return {}
    rows = (
        proxy_server_queryset(account=account, viewer=viewer)
        .filter(_display_conditions(today=today)[Display.SILENT])
        .values("license_key__subscription__product_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["license_key__subscription__product_id"]: row["n"] for row in rows}


def proxy_server_counts(
    *,
    account: Account,
    today: date,
    q: str = "",
    total: bool = False,
    viewer: Membership | None = None,
) -> dict[str, int]:
    """How many servers each Display choice shows (within the search); with `total`,
    also all the account's servers whatever the search (the navigation's "Proxy Servers
    (N)"). One aggregate query."""
    conditions = _display_conditions(today=today)
    search = _search_q(q)
    qs = proxy_server_queryset(account=account, viewer=viewer)
    if not search:
        counts = {key: Count("id", filter=condition) for key, condition in conditions.items()}
        if total:
            counts["total"] = Count("id")
        return qs.aggregate(**counts)
    # Searched: the rows grouped by whether they match, so that the search (three
    # ILIKEs and the key) runs once a row, not once in each count's FILTER: 5x over
    # 10,000 servers was 30-100 ms. The matching group has the counts; both, the total.
    counts = {
        key: Count("id", filter=condition) if condition else Count("id")
        for key, condition in conditions.items()
    }
    groups = {
        row.pop("matched"): row
        for row in qs.values(matched=ExpressionWrapper(search, BooleanField()))
        .annotate(**counts)
        .order_by()
    }
    result = groups.get(True) or dict.fromkeys(conditions, 0)
    if total:
        result["total"] = sum(row[Display.ALL] for row in groups.values())
    return result


def license_keys_over_limit(
    keys: QuerySet[LicenseKey] | None = None, *, subscription_ids=None, today: date
) -> dict[int, quota.KeyAvailability]:
    """The live keys over their limit by the pool rule of the License Keys table
    (subscriptions.quota.key_availability), by id, with the numbers that say by how much:
    a dynamic key or the primary key is over as soon as the pool is, not only past its
    own quota. One query."""
    if keys is None:
        keys = LicenseKey.objects.filter(subscription_id__in=subscription_ids or [])
    availabilities = license_key_availabilities(license_key_states(keys, today=today))
    return {
        pk: availability for pk, availability in availabilities.items() if availability.over_limit
    }


def account_keys_over_limit(*, account: Account, today: date) -> dict[int, quota.KeyAvailability]:
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
        else {}
    )
    for server in servers:
        server.over_limit = server.holds_key and server.license_key_id in over
        # "Over the limit by N: X in use, Y licenses" (None when within the limit).
        server.over_limit_detail = over.get(server.license_key_id) if server.over_limit else None
    return servers


def proxy_server_get(
    *, account: Account, pk: int, viewer: Membership | None = None
) -> ProxyServer | None:
    return proxy_server_queryset(account=account, viewer=viewer).filter(pk=pk).first()


def proxy_server_move_targets(*, proxy_server: ProxyServer, today: date) -> QuerySet[LicenseKey]:
    """The keys a server may be offered to move to: the account's live keys of the same
    product, not its own, held by no installation. Whether one has room is the move's
    own check (`proxy_server_move`), which says why not."""
    subscription = proxy_server.license_key.subscription
    return (
        LicenseKey.objects.filter(
            subscription__account_id=proxy_server.account_id,
            subscription__product_id=subscription.product_id,
            deleted_at__isnull=True,
        )
        .exclude(pk=proxy_server.license_key_id)
        .exclude(proxy_servers__status__in=ProxyServer.HOLDING_STATUSES)
        .alias(key_end=license_key_end_date_expression())
        .filter(key_end__gte=today, subscription__starts_on__lte=today)
        .select_related("subscription")
        .order_by("subscription__name", "type", "name", "id")
    )


def account_license_key_get(
    *, account: Account, pk: int, viewer: Membership | None = None
) -> LicenseKey | None:
    """A key of the account (not deleted) by id: what a move names as its target. A key
    of another account is not found, nor, for a License Administrator (`viewer`), a key
    they do not see."""
    return (
        LicenseKey.objects.select_related("subscription")
        .filter(pk=pk, subscription__account=account, deleted_at__isnull=True)
        .filter(license_key_visible_q(viewer))
        .first()
    )


# The Usage tab: a page of the reports table, and a chart of at most this many points.
USAGE_PAGE_SIZE = 30
USAGE_CHART_MAX_POINTS = 120
# The periods a long history is drawn by, shortest first: (name, days, truncation).
USAGE_PERIODS = (
    ("day", 1, None),
    ("week", 7, TruncWeek),
    ("month", 31, TruncMonth),
    ("quarter", 92, TruncQuarter),
    ("year", 366, TruncYear),
)


@dataclass(frozen=True)
class UsagePoint:
    """A report date, or a period's highest peak (with its highest license limit)."""

    date: date
    peak: int
    licenses: int


@dataclass(frozen=True)
class UsageHistory:
    """What the Usage tab shows of a server's reports, however many there are."""

    count: int
    period: str  # what a chart point stands for: "day", "week", "month", ...
    points: list[UsagePoint]  # oldest first, at most USAGE_CHART_MAX_POINTS
    reports: list[UsageReport]  # one page of the table, newest first
    older_than: date | None  # where the next (older) page starts; None on the last
    is_newest: bool  # this page starts with the latest report


def usage_history(*, proxy_server: ProxyServer, before: date | None = None) -> UsageHistory:
    """The Usage tab in three queries whatever the number of reports: the span, the
    chart (the day's peaks, or each week's, month's... highest, so that it never draws
    more than USAGE_CHART_MAX_POINTS) and one page of the table, newest first, that
    starts before ``before`` (keyset: the index on server and date serves every page)."""
    reports = UsageReport.objects.filter(proxy_server=proxy_server)
    span = reports.aggregate(count=Count("id"), first=Min("date"), last=Max("date"))
    if not span["count"]:
        return UsageHistory(0, "day", [], [], None, True)
    days = (span["last"] - span["first"]).days + 1
    period, _days, truncate = next(
        (p for p in USAGE_PERIODS if days / p[1] <= USAGE_CHART_MAX_POINTS), USAGE_PERIODS[-1]
    )
    if truncate is None:
        rows = reports.order_by("date").values_list("date", "peak", "licenses")
    else:
        rows = (
            reports.annotate(period=truncate("date"))
            .values("period")
            .annotate(last=Max("date"), peak_max=Max("peak"), licenses_max=Max("licenses"))
            .order_by("period")
            .values_list("last", "peak_max", "licenses_max")
        )
    page = reports.order_by("-date")
    if before is not None:
        page = page.filter(date__lt=before)
    listed = list(page[: USAGE_PAGE_SIZE + 1])
    older = listed[USAGE_PAGE_SIZE - 1].date if len(listed) > USAGE_PAGE_SIZE else None
    return UsageHistory(
        count=span["count"],
        period=period,
        points=[UsagePoint(*row) for row in rows],
        reports=listed[:USAGE_PAGE_SIZE],
        older_than=older,
        is_newest=before is None or before > span["last"],
    )


def proxy_list_columns(*, user: User) -> list[str]:
    """The columns the user picked with the gear (or the defaults), in the guide's order."""
    preference = ProxyListPreference.objects.filter(user=user).only("columns").first()
    picked = set(preference.columns) if preference is not None else set(DEFAULT_COLUMNS)
    picked.update(REQUIRED_COLUMNS)
    return [c.key for c in COLUMNS if c.key in picked]


# Usage of license keys: "used" is what the installations holding a key last reported.


def license_key_usage(keys: Iterable[LicenseKey | int]) -> dict[int, int]:
    """Licenses used per key id: the registered computers of the installation(s) that
    hold it (an installation deactivated offline holds its key until its file is
    uploaded), from their latest usage reports. One query."""
    ids = [k if isinstance(k, int) else k.pk for k in keys]
    usage = dict.fromkeys(ids, 0)
    if not ids:
        return usage
    rows = (
        ProxyServer.objects.filter(license_key_id__in=ids, status__in=ProxyServer.HOLDING_STATUSES)
        .values("license_key_id")
        .annotate(used=Sum("registered_computers"))
        .order_by()
    )
    for row in rows:
        usage[row["license_key_id"]] = row["used"] or 0
    return usage


def license_key_used_expression() -> Coalesce:
    """`license_key_usage` in SQL, for a queryset of keys: the registered computers of
    the installations that hold the key, 0 when none does."""
    used = (
        ProxyServer.objects.filter(
            license_key=OuterRef("pk"), status__in=ProxyServer.HOLDING_STATUSES
        )
        .values("license_key")
        .annotate(total=Sum("registered_computers"))
        .values("total")
    )
    return Coalesce(Subquery(used), 0, output_field=IntegerField())


@dataclass(frozen=True)
class PooledKey:
    """A key as the pool arithmetic sees it, with what its subscription gives."""

    subscription_id: int
    product_id: int
    licenses: int  # the subscription's
    state: quota.KeyState


def license_key_states(keys: QuerySet[LicenseKey], *, today: date) -> list[PooledKey]:
    """The keys of `keys` that are not deleted, each with what its installations use
    (license_key_used_expression) and whether it is live (the SQL form of its end date,
    as `LicenseKey.quota_state` says): one query of plain values, not a thousand model
    instances with their subscriptions."""
    rows = (
        keys.filter(deleted_at__isnull=True)
        .annotate(key_end=license_key_end_date_expression(), used=license_key_used_expression())
        .values_list(
            "pk",
            "subscription_id",
            "subscription__product_id",
            "subscription__licenses",
            "type",
            "quota",
            "key_end",
            "used",
        )
    )
    return [
        PooledKey(
            subscription_id=subscription_id,
            product_id=product_id,
            licenses=licenses,
            state=quota.KeyState(
                id=pk,
                type=type,
                quota=quota_,
                used=used,
                live=not license_key_expired(end, today=today),
            ),
        )
        for pk, subscription_id, product_id, licenses, type, quota_, end, used in rows
    ]


def license_key_availabilities(keys: Iterable[PooledKey]) -> dict[int, quota.KeyAvailability]:
    """Quota, used and vacant per key id, by the pool rule (`subscriptions.quota`).
    `keys` must hold every live key of their subscriptions (license_key_states); no
    query of its own."""
    by_subscription: dict[int, list[PooledKey]] = {}
    for key in keys:
        by_subscription.setdefault(key.subscription_id, []).append(key)
    result = {}
    for group in by_subscription.values():
        result.update(quota.key_availabilities(group[0].licenses, [k.state for k in group]))
    return result


def subscription_availabilities(
    keys: Iterable[PooledKey],
) -> dict[int, tuple[int, quota.KeyAvailability]]:
    """`quota.subscription_availability` per subscription id (with its product id), from
    every live key of each subscription (license_key_states); no query of its own."""
    by_subscription: dict[int, list[PooledKey]] = {}
    for key in keys:
        by_subscription.setdefault(key.subscription_id, []).append(key)
    return {
        subscription_id: (
            group[0].product_id,
            quota.subscription_availability(group[0].licenses, [k.state for k in group]),
        )
        for subscription_id, group in by_subscription.items()
    }


def proxy_server_counts_by_product(*, account: Account) -> dict[int, int]:
    """Proxy servers per product id: every server the Proxy Servers page lists under
    "All" (active, pending deactivation and deactivated), so that the Dashboard's
    "Registered proxy servers N" counts what its link shows. One query."""
    rows = (
        ProxyServer.objects.filter(account=account)
        .values("license_key__subscription__product_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["license_key__subscription__product_id"]: row["n"] for row in rows}


def proxy_server_total(*, account: Account | None, viewer: Membership | None = None) -> int:
    """The navigation's "Proxy Servers (N)": every server its link lists under "All"
    (for a License Administrator, those of their keys)."""
    if account is None:
        return 0
    return (
        ProxyServer.objects.filter(account=account)
        .filter(license_key_visible_q(viewer, field="license_key_id"))
        .count()
    )


# Dashboard


@dataclass
class ProductBox:
    product: Product
    computers: int  # licenses of the active subscriptions
    active: int
    total: int
    proxy_servers: int
    over_limit_keys: int = 0  # live keys of active subscriptions over their limit
    # The active subscriptions' "in use" and "over the limit by", each subscription's
    # added up (quota.subscription_availability: what its Subscription Details says).
    licenses_used: int = 0
    over_by: int = 0
    ending_soon: int = 0  # active subscriptions that end within 30 days
    silent_proxies: int = 0  # servers holding a key that have not reported for 7 days


def dashboard_products(*, account: Account | None, today: date) -> list[ProductBox]:
    """One box per product the account subscribes to, with its state at a glance. Five
    queries: subscriptions per product (active, ending within 30 days), the products,
    proxy servers per product, silent proxy servers per product, and the live keys of the
    active subscriptions with their usage (licenses in use, the over-limit line)."""
    if account is None:
        return []
    active = subscription_active_q(today)
    rows = list(
        Subscription.objects.filter(account=account)
        .values("product_id")
        .annotate(
            total=Count("id"),
            active=Count("id", filter=active),
            ending=Count("id", filter=subscription_ending_q(today)),
            computers=Coalesce(Sum("licenses", filter=active), 0),
        )
        .order_by()
    )
    if not rows:
        return []
    products = {p.pk: p for p in Product.objects.filter(pk__in=[r["product_id"] for r in rows])}
    proxies = proxy_server_counts_by_product(account=account)
    live_keys = license_key_states(
        LicenseKey.objects.filter(
            subscription_active_q(today, prefix="subscription__"), subscription__account=account
        ),
        today=today,
    )
    silent = proxy_servers_silent_by_product(account=account, today=today)
    over: dict[int, int] = {}
    availabilities = license_key_availabilities(live_keys)
    for key in live_keys:
        if availabilities[key.state.id].over_limit:
            over[key.product_id] = over.get(key.product_id, 0) + 1
    used: dict[int, int] = {}
    over_by: dict[int, int] = {}
    for product_id, whole in subscription_availabilities(live_keys).values():
        used[product_id] = used.get(product_id, 0) + whole.in_use
        over_by[product_id] = over_by.get(product_id, 0) + whole.over_by
    boxes = [
        ProductBox(
            product=products[r["product_id"]],
            computers=r["computers"],
            active=r["active"],
            total=r["total"],
            proxy_servers=proxies.get(r["product_id"], 0),
            over_limit_keys=over.get(r["product_id"], 0),
            licenses_used=used.get(r["product_id"], 0),
            over_by=over_by.get(r["product_id"], 0),
            ending_soon=r["ending"],
            silent_proxies=silent.get(r["product_id"], 0),
        )
        for r in rows
    ]
    return sorted(boxes, key=lambda b: b.product.name)


# The License Keys table of Subscription Details


@dataclass
class LicenseKeyRow:
    key: LicenseKey
    quota: int
    used: int
    vacant: int
    expires_on: date
    live: bool
    availability: quota.KeyAvailability | None = None  # its numbers, for "Over the limit by"

    @property
    def over_limit(self) -> bool:
        return self.live and quota.is_over_limit(self.vacant)

    @property
    def over_by(self) -> int:
        """How far over the license limit ("Over the limit by N"); 0 when within it."""
        return -self.vacant if self.over_limit else 0


@dataclass
class LicenseKeyTable:
    by_id: dict[int, LicenseKeyRow]  # every live key's row, whatever the filter
    # The subscription as a whole (quota.subscription_availability): the pool line's
    # "in use" and "over the limit by", the Dashboard's and the weekly report's.
    whole: quota.KeyAvailability
    reservable: int  # the largest quota a new Reserved sublicense may have
    keys: QuerySet[LicenseKey]  # the listed keys, filtered and sorted (license_key_list)
    sort: str = "type"
    type: str = ""

    @property
    def pool_available(self) -> int:
        """What the primary key and the dynamic keys can still take (may be negative)."""
        return self.whole.vacant

    @cached_property
    def rows(self) -> list[LicenseKeyRow]:
        """The listed rows, in the chosen order. One query. A key created between the
        table's two reads (another request's) is left for the next look."""
        return [self.by_id[pk] for pk in self.keys.values_list("pk", flat=True) if pk in self.by_id]


# The License Keys table's column sorts (subscriptions.selectors.LICENSE_KEY_SORTS):
# license_key_list orders by an annotation per column (license_key_sort names it), which
# the API's keyset pagination pages through.
_TYPE_ORDER = [LicenseKey.Type.PRIMARY, LicenseKey.Type.RESERVED, LicenseKey.Type.DYNAMIC]
# Each column sorts by its rule's database form, so that the page and the API's keyset
# pages sort and page in SQL whatever the number of keys: the end date
# (license_key_end_date_expression, LicenseKey.end_date), "used"
# (license_key_used_expression, license_key_usage), the name shown
# (license_key_display_name_sort_expression, LicenseKey.display_name) and the quota and
# vacant shown (quota.key_quota_expression and quota.key_vacant_expression beside
# quota.key_availability_in_pool, given the pool added up once).


def license_key_sort(sort: str) -> tuple[str, bool]:
    """The annotation license_key_list orders by for `sort` (one of LICENSE_KEY_SORTS,
    else "type") and whether it descends."""
    if sort not in LICENSE_KEY_SORTS:
        sort = "type"
    return f"sort_{sort.lstrip('-')}", sort.startswith("-")


def _license_key_sort_value(column: str, *, today: date, pool: int):
    if column == "type":  # primary first
        return Case(
            *(When(type=t, then=Value(i)) for i, t in enumerate(_TYPE_ORDER)),
            default=Value(len(_TYPE_ORDER)),
        )
    if column == "name":
        return license_key_display_name_sort_expression()
    live = ~license_key_expired_q(today)  # on key_end (license_key_list aliases it)
    if column == "quota":
        return quota.key_quota_expression(live=live)
    if column == "vacant":
        return quota.key_vacant_expression(live=live, used=license_key_used_expression(), pool=pool)
    if column == "used":
        return license_key_used_expression()
    return F("key_end")  # expires


def license_key_list(
    *,
    subscription: Subscription,
    today: date,
    pool: int,
    type: str = "",
    search: str = "",
    sort: str = "type",
) -> QuerySet[LicenseKey]:
    """The live keys of the table matching the Type filter and the search, annotated and
    ordered as license_key_sort says for `sort`: what the page and the API list."""
    column, descending = license_key_sort(sort)
    qs = subscription.license_keys.filter(deleted_at__isnull=True)
    if type:
        qs = qs.filter(type=type)
    qs = subscription_selectors.license_key_search(qs, search)
    qs = qs.alias(key_end=license_key_end_date_expression()).annotate(
        **{column: _license_key_sort_value(column.removeprefix("sort_"), today=today, pool=pool)}
    )
    if descending:
        return qs.order_by(F(column).desc(nulls_last=True), "-id")
    return qs.order_by(F(column).asc(nulls_first=True), "id")


def license_key_table(
    *,
    subscription: Subscription,
    today: date,
    sort: str = "type",
    type: str = "",
    search: str = "",
) -> LicenseKeyTable:
    """The License Keys table: every live key with quota, used and vacant (two queries),
    and the ones listed (the Type filter, the search) in the order of `sort` (one more
    query, when `rows` is read)."""
    keys = list(subscription.license_keys.filter(deleted_at__isnull=True))
    for key in keys:
        key.subscription = subscription
    usage = license_key_usage(keys)
    states = {key.pk: key.quota_state(today=today, used=usage[key.pk]) for key in keys}
    all_states = list(states.values())
    availabilities = quota.key_availabilities(subscription.licenses, all_states)
    by_id = {}
    for key in keys:
        availability = availabilities[key.pk]
        by_id[key.pk] = LicenseKeyRow(
            key=key,
            quota=availability.quota,
            used=availability.used,
            vacant=availability.vacant,
            expires_on=key.end_date,
            live=states[key.pk].live,
            availability=availability,
        )
    if sort not in LICENSE_KEY_SORTS:
        sort = "type"
    whole = quota.subscription_availability(subscription.licenses, all_states)
    pool = whole.vacant
    return LicenseKeyTable(
        by_id=by_id,
        whole=whole,
        reservable=quota.quota_max(subscription.licenses, all_states, type=quota.RESERVED),
        keys=license_key_list(
            subscription=subscription, today=today, pool=pool, type=type, search=search, sort=sort
        ),
        sort=sort,
        type=type,
    )


def _pool_totals_sql() -> str:
    """The subscription's live-or-not keys grouped by what decides their end date, with
    their quotas and what their holders use (at most one installation holds a key,
    ProxyServer's constraint, so the join repeats no key's quota), and whether the group
    is the key asked about. Plain SQL, no rule in it: which groups are live is
    `LicenseKey.is_live`'s to say, the sums are `subscriptions.quota`'s."""
    key, proxy = LicenseKey._meta, ProxyServer._meta
    k, p = key.db_table, proxy.db_table
    mine = f"({k}.{key.pk.column} = %s)"
    columns = {
        "type": f"{k}.{key.get_field('type').column}",
        "renew": f"{k}.{key.get_field('renew_with_subscription').column}",
        "expires_on": f"{k}.{key.get_field('expires_on').column}",
    }
    return (
        f"SELECT {', '.join([*columns.values(), mine])}, SUM({k}.{key.get_field('quota').column}), "  # noqa: S608
        f"SUM({p}.{proxy.get_field('registered_computers').column}) "
        f"FROM {k} LEFT JOIN {p} ON {p}.{proxy.get_field('license_key').column} = "
        f"{k}.{key.pk.column} AND {p}.{proxy.get_field('status').column} IN "
        f"({', '.join(['%s'] * len(ProxyServer.HOLDING_STATUSES))}) "
        f"WHERE {k}.{key.get_field('subscription').column} = %s "
        f"AND {k}.{key.get_field('deleted_at').column} IS NULL "
        "GROUP BY 1, 2, 3, 4"
    )


_POOL_TOTALS_SQL = _pool_totals_sql()


def _pool_totals(*, license_key: LicenseKey, today: date) -> tuple[int, int, int]:
    """The pool's two sums over the subscription's live keys (the reserved quotas, what
    the primary and dynamic keys use) and what `license_key` uses: one query of a few
    grouped rows, whose liveness the model decides (its end-date rule, in Python)."""
    subscription = license_key.subscription
    params = [license_key.pk, *ProxyServer.HOLDING_STATUSES, subscription.pk]
    with connections[router.db_for_read(LicenseKey)].cursor() as cursor:
        cursor.execute(_POOL_TOTALS_SQL, params)
        rows = cursor.fetchall()
    reserved = used_from_pool = used = 0
    for type_, renew, expires_on, mine, quota_sum, used_sum in rows:
        # A stand-in for the group, for the model's rule only: given a key, so that
        # none is drawn for it (25 random symbols per group, on every licensing request).
        group = LicenseKey(
            key="",
            type=type_,
            renew_with_subscription=bool(renew),
            expires_on=DateField().to_python(expires_on),
            subscription=subscription,
        )
        if group.is_live(today=today):
            if type_ == quota.RESERVED:
                reserved += quota_sum or 0
            elif type_ in (quota.PRIMARY, quota.DYNAMIC):
                used_from_pool += used_sum or 0
        if mine:
            used += used_sum or 0
    return reserved, used_from_pool, used


def license_key_availability(*, license_key: LicenseKey, today: date) -> quota.KeyAvailability:
    """Quota, used and vacant of one key, exactly as the License Keys table shows them:
    what the proxy is told in its License Information. One grouped query over the
    subscription's keys (_pool_totals): the pool's two sums over the live ones (what the
    primary and dynamic keys use, the reserved quotas) and what this key uses; the
    arithmetic is `subscriptions.quota`'s, as for the table."""
    if license_key.deleted_at is not None:
        # A deleted key is no longer in the table: it has nothing left to give.
        return quota.KeyAvailability(quota=license_key.quota or 0, used=0, vacant=0)
    subscription = license_key.subscription
    reserved, used_from_pool, used = _pool_totals(license_key=license_key, today=today)
    pool = quota.pool_from_totals(
        subscription.licenses, used_from_pool=used_from_pool, reserved=reserved
    )
    state = license_key.quota_state(today=today, used=used)
    return quota.key_availability_in_pool(subscription.licenses, state, pool=pool)
