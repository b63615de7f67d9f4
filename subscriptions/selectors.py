"""Reads for the subscription pages, each a fixed number of queries.

Proxy servers belong to the `proxies` app, which depends on this one; we read them
through the app registry (no import), and count nothing if the app has no model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Concat, NullIf

from accounts.models import Account, Membership
from subscriptions import quota
from subscriptions.models import (
    LicenseKey,
    Product,
    Subscription,
    license_key_search_q,
)

# An installation deactivated offline holds its key (and its licenses) until the
# deactivation request file is uploaded.
HOLDING_PROXY_STATUSES = ("active", "deactivating")  # proxies ProxyServer.HOLDING_STATUSES


def _proxy_model():
    try:
        return apps.get_model("proxies", "ProxyServer")
    except LookupError:
        return None


def license_key_usage(keys: Iterable[LicenseKey | int]) -> dict[int, int]:
    """Licenses used per key id: the registered computers of the active installation(s)
    that use it, from their latest usage reports. One query."""
    ids = [k if isinstance(k, int) else k.pk for k in keys]
    usage = dict.fromkeys(ids, 0)
    model = _proxy_model()
    if model is None or not ids:
        return usage
    rows = (
        model.objects.filter(license_key_id__in=ids, status__in=HOLDING_PROXY_STATUSES)
        .values("license_key_id")
        .annotate(used=Sum("registered_computers"))
        .order_by()
    )
    for row in rows:
        usage[row["license_key_id"]] = row["used"] or 0
    return usage


def proxy_server_counts(*, account: Account) -> dict[int, int]:
    """Proxy servers per product id: every server the Proxy Servers page lists under
    "All" (active, pending deactivation and deactivated), so that the Dashboard's
    "Registered proxy servers N" and the navigation's "Proxy Servers (N)" count what
    their link shows. One query, or none."""
    model = _proxy_model()
    if model is None:
        return {}
    rows = (
        model.objects.filter(account=account)
        .values("license_key__subscription__product_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["license_key__subscription__product_id"]: row["n"] for row in rows}


def license_keys_with_usage(keys: QuerySet[LicenseKey]) -> QuerySet[LicenseKey]:
    """`keys` with their subscription and `used` (what the holding installations last
    reported) in one query: the same numbers as `license_key_usage`."""
    keys = keys.select_related("subscription")
    model = _proxy_model()
    if model is None:
        return keys.annotate(used=Value(0))
    used = (
        model.objects.filter(license_key=OuterRef("pk"), status__in=HOLDING_PROXY_STATUSES)
        .values("license_key")
        .annotate(total=Sum("registered_computers"))
        .values("total")
    )
    return keys.annotate(used=Coalesce(Subquery(used), 0))


def license_key_availabilities(
    keys: Iterable[LicenseKey], *, today: date
) -> dict[int, quota.KeyAvailability]:
    """Quota, used and vacant per key id, by the License Keys table's pool rule. `keys`
    must hold every live key of their subscriptions, each with `used` (see
    `license_keys_with_usage`); no query of its own."""
    by_subscription: dict[int, list[LicenseKey]] = {}
    for key in keys:
        by_subscription.setdefault(key.subscription_id, []).append(key)
    result = {}
    for group in by_subscription.values():
        licenses = group[0].subscription.licenses
        states = {
            key.pk: quota.KeyState(
                id=key.pk,
                type=key.type,
                quota=key.quota,
                used=key.used,
                live=key.is_live(today=today),
            )
            for key in group
        }
        all_states = list(states.values())
        for key in group:
            result[key.pk] = quota.key_availability(licenses, all_states, states[key.pk])
    return result


# Dashboard


@dataclass
class ProductBox:
    product: Product
    computers: int  # licenses of the active subscriptions
    active: int
    total: int
    proxy_servers: int
    over_limit_keys: int = 0  # live keys of active subscriptions over their limit


def dashboard_products(*, account: Account | None, today: date) -> list[ProductBox]:
    """One box per product the account subscribes to. Four queries: subscriptions per
    product, the products, proxy servers per product, and the live keys of the active
    subscriptions with their usage (for the over-limit line)."""
    if account is None:
        return []
    active = Q(starts_on__lte=today, ends_on__gte=today)
    rows = (
        Subscription.objects.filter(account=account)
        .values("product_id")
        .annotate(
            total=Count("id"),
            active=Count("id", filter=active),
            computers=Coalesce(Sum("licenses", filter=active), 0),
        )
        .order_by()
    )
    rows = list(rows)
    if not rows:
        return []
    products = {p.pk: p for p in Product.objects.filter(pk__in=[r["product_id"] for r in rows])}
    proxies = proxy_server_counts(account=account)
    live_keys = list(
        license_keys_with_usage(
            LicenseKey.objects.filter(
                subscription__account=account,
                subscription__starts_on__lte=today,
                subscription__ends_on__gte=today,
                deleted_at__isnull=True,
            )
        )
    )
    over: dict[int, int] = {}
    availabilities = license_key_availabilities(live_keys, today=today)
    for key in live_keys:
        if key.is_live(today=today) and availabilities[key.pk].over_limit:
            product_id = key.subscription.product_id
            over[product_id] = over.get(product_id, 0) + 1
    boxes = [
        ProductBox(
            product=products[r["product_id"]],
            computers=r["computers"],
            active=r["active"],
            total=r["total"],
            proxy_servers=proxies.get(r["product_id"], 0),
            over_limit_keys=over.get(r["product_id"], 0),
        )
        for r in rows
    ]
    return sorted(boxes, key=lambda b: b.product.name)


# Subscriptions list

DISPLAY_CHOICES = [("active", "Active"), ("expired", "Expired"), ("all", "All")]
ARRANGE_CHOICES = [
    ("ends_on", "End Date ↑"),
    ("-ends_on", "End Date ↓"),
    ("name", "Name ↑"),
    ("-name", "Name ↓"),
    ("licenses", "Licenses ↑"),
    ("-licenses", "Licenses ↓"),
]
# Each sort is one column and a direction; ties go by id in the same direction. The
# page orders by it and the API pages through it by keyset (subscription_sort), so both
# list the same rows in the same order.
SUBSCRIPTION_SORTS: dict[str, tuple[str, bool]] = {
    "ends_on": ("ends_on", False),
    "-ends_on": ("ends_on", True),
    "name": ("sort_name", False),
    "-name": ("sort_name", True),
    "licenses": ("licenses", False),
    "-licenses": ("licenses", True),
}


def subscription_sort(arrange: str) -> tuple[str, bool]:
    """The column and direction (descending?) of one of ARRANGE_CHOICES."""
    return SUBSCRIPTION_SORTS.get(arrange, SUBSCRIPTION_SORTS["ends_on"])


def subscription_queryset(*, account: Account | None) -> QuerySet[Subscription]:
    if account is None:
        return Subscription.objects.none()
    return Subscription.objects.filter(account=account).select_related("product")


def _display_q(display: str, today: date) -> Q:
    if display == "active":
        return Q(starts_on__lte=today, ends_on__gte=today)
    if display == "expired":
        return Q(ends_on__lt=today)
    return Q()


def subscription_search(qs: QuerySet[Subscription], search: str) -> QuerySet[Subscription]:
    """By display name, product or any of its license keys (in any spelling)."""
    search = search.strip()
    if not search:
        return qs
    condition = Q(name__icontains=search) | Q(product__name__icontains=search)
    key_match = license_key_search_q(search)
    if key_match is not None:
        condition |= Exists(LicenseKey.objects.filter(key_match, subscription=OuterRef("pk")))
    return qs.filter(condition)


def license_key_search(qs: QuerySet[LicenseKey], search: str) -> QuerySet[LicenseKey]:
    """By display name (any part) or by the key itself, as license_key_search_q allows."""
    search = search.strip()
    if not search:
        return qs
    condition = Q(name__icontains=search)
    key_match = license_key_search_q(search)
    if key_match is not None:
        condition |= key_match
    return qs.filter(condition)


def subscription_display_counts(qs: QuerySet[Subscription], *, today: date) -> dict[str, int]:
    """Counts for the Display filter (Active, Expired, All). One query."""
    counts = qs.aggregate(
        active=Count("id", filter=_display_q("active", today)),
        expired=Count("id", filter=_display_q("expired", today)),
        all=Count("id"),
    )
    return counts


def subscription_list(
    *,
    account: Account | None,
    today: date,
    search: str = "",
    display: str = "active",
    arrange: str = "ends_on",
    product: Product | None = None,
) -> tuple[QuerySet[Subscription], dict[str, int]]:
    """The subscriptions to show and the Display filter's counts (within the search)."""
    qs = subscription_queryset(account=account)
    if product is not None:
        qs = qs.filter(product=product)
    qs = subscription_search(qs, search)
    counts = subscription_display_counts(qs, today=today)
    qs = qs.filter(_display_q(display, today)).annotate(
        sort_name=Coalesce(
            NullIf("name", Value("")), Concat("product__name", Value(" Subscription"))
        )
    )
    column, descending = subscription_sort(arrange)
    ordering = [f"-{column}", "-id"] if descending else [column, "id"]
    return qs.order_by(*ordering), counts


# Subscription details


@dataclass
class LicenseKeyRow:
    key: LicenseKey
    quota: int
    used: int
    vacant: int
    expires_on: date
    live: bool

    @property
    def over_limit(self) -> bool:
        return self.live and self.vacant < 0

    @property
    def over_by(self) -> int:
        """How far over the license limit ("Over the limit by N"); 0 when within it."""
        return -self.vacant if self.over_limit else 0


@dataclass
class LicenseKeyTable:
    rows: list[LicenseKeyRow]
    pool_available: int
    reservable: int  # the largest quota a new Reserved sublicense may have
    sort: str = "type"


LICENSE_KEY_SORTS = {
    "name": lambda r: (r.key.name or r.key.key).lower(),
    "type": lambda r: (["primary", "reserved", "dynamic"].index(r.key.type), r.key.pk),
    "quota": lambda r: r.quota,
    "used": lambda r: r.used,
    "vacant": lambda r: r.vacant,
    "expires": lambda r: r.expires_on,
}


def license_key_table(
    *, subscription: Subscription, today: date, sort: str = "type"
) -> LicenseKeyTable:
    """The License Keys table: live keys (primary first) with quota, used and vacant,
    sortable by each column ("-" for descending). Two queries."""
    keys = list(subscription.license_keys.filter(deleted_at__isnull=True))
    for key in keys:
        key.subscription = subscription
    usage = license_key_usage(keys)
    states = {
        key.pk: quota.KeyState(
            id=key.pk,
            type=key.type,
            quota=key.quota,
            used=usage[key.pk],
            live=key.is_live(today=today),
        )
        for key in keys
    }
    all_states = list(states.values())
    rows = []
    for key in keys:
        availability = quota.key_availability(subscription.licenses, all_states, states[key.pk])
        rows.append(
            LicenseKeyRow(
                key=key,
                quota=availability.quota,
                used=availability.used,
                vacant=availability.vacant,
                expires_on=key.end_date,
                live=states[key.pk].live,
            )
        )
    name = sort.lstrip("-")
    if name not in LICENSE_KEY_SORTS:
        sort, name = "type", "type"
    rows.sort(key=LICENSE_KEY_SORTS[name], reverse=sort.startswith("-"))
    return LicenseKeyTable(
        rows=rows,
        pool_available=quota.pool_available(subscription.licenses, all_states),
        reservable=quota.quota_max(subscription.licenses, all_states, type=quota.RESERVED),
        sort=sort,
    )


def license_key_availability(*, license_key: LicenseKey, today: date) -> quota.KeyAvailability:
    """Quota, used and vacant of one key, exactly as the License Keys table shows them:
    what the proxy is told in its License Information. Two queries."""
    subscription = license_key.subscription
    table = license_key_table(subscription=subscription, today=today)
    for row in table.rows:
        if row.key.pk == license_key.pk:
            return quota.KeyAvailability(quota=row.quota, used=row.used, vacant=row.vacant)
    # A deleted key is no longer in the table: it has nothing left to give.
    return quota.KeyAvailability(quota=license_key.quota or 0, used=0, vacant=0)


def sublicense_quota_max(
    *, subscription: Subscription, type: str, today: date, exclude_id: int | None = None
) -> int:
    """ "n" in "Quota of Licenses (k out of n available)". One query."""
    keys = list(subscription.license_keys.filter(deleted_at__isnull=True))
    states = []
    for key in keys:
        key.subscription = subscription
        states.append(
            quota.KeyState(id=key.pk, type=key.type, quota=key.quota, live=key.is_live(today=today))
        )
    return quota.quota_max(subscription.licenses, states, type=type, exclude_id=exclude_id)


@dataclass(frozen=True)
class RegisterTargets:
    """Where a user may register a key: the business accounts they administer; and the
    ones they only read (Regular Member), which the page names as not a target."""

    administered: list[Account]
    read_only: list[Account]


def register_key_targets(*, memberships: Iterable[Membership]) -> RegisterTargets:
    """From the user's active memberships (the request has them already: no query)."""
    business = [m for m in memberships if m.account.is_business]
    return RegisterTargets(
        administered=[m.account for m in business if m.is_admin],
        read_only=[m.account for m in business if not m.is_admin],
    )


def product_get(*, code: str | None) -> Product:
    """The product a product page is about: by code, else the first product."""
    from subscriptions.services import product_default

    product = Product.objects.filter(code=code).first() if code else None
    return product or product_default()


def product_subscription_count(*, account: Account | None, product: Product) -> int:
    if account is None:
        return 0
    return Subscription.objects.filter(account=account, product=product).count()


def product_nav(
    *,
    account: Account | None,
    product: Product | None = None,
    code: str | None = None,
    proxy_servers: int | None = None,
) -> dict:
    """The product navigation: the product, "Product Subscriptions (N)" and "Proxy
    Servers (N)". N of Proxy Servers is what its link lists under "All": every server
    of the account (pass it when the page has counted them already). One query for a
    given product; for a product code, one query for the product with its count; plus
    one for the servers unless given."""
    if product is None:
        from subscriptions.services import DEFAULT_PRODUCT_CODE

        count = (
            Count("subscriptions", filter=Q(subscriptions__account=account))
            if account is not None
            else Value(0)
        )
        product = (
            Product.objects.filter(code=code or DEFAULT_PRODUCT_CODE)
            .annotate(n_subscriptions=count)
            .first()
        )
    if product is None:  # an unknown code: the default product (rare, two queries)
        product = product_get(code=None)
    subscriptions = getattr(product, "n_subscriptions", None)
    if subscriptions is None:
        subscriptions = product_subscription_count(account=account, product=product)
    if proxy_servers is None:
        proxy_servers = (
            sum(proxy_server_counts(account=account).values()) if account is not None else 0
        )
    return {"product": product, "subscriptions": subscriptions, "proxy_servers": proxy_servers}
