"""Reads for the subscription pages, each a fixed number of queries.

What needs the installations' usage (the License Keys table's "used", the
Dashboard's over-limit line) lives in `proxies.selectors`, next to the usage; the pages
get it passed in (subscriptions.views.Usage).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Membership
from subscriptions import quota
from subscriptions.models import (
    LicenseKey,
    LicenseKeyAdministrator,
    Product,
    Subscription,
    license_key_search_q,
    license_key_visible_q,
    membership_is_license_admin,
    subscription_active_q,
    subscription_ending_q,
    subscription_expired_q,
)
from subscriptions.services import DEFAULT_PRODUCT_CODE, product_default

# The License Keys table's column sorts ("-" for descending), for the page and the API
# alike; ties go by id in the same direction (proxies.selectors.license_key_list sorts
# by each column's rule in SQL).
LICENSE_KEY_SORT_COLUMNS = ["name", "type", "quota", "used", "vacant", "expires"]
LICENSE_KEY_SORTS = [s for c in LICENSE_KEY_SORT_COLUMNS for s in (c, f"-{c}")]

# Subscriptions list

DISPLAY_CHOICES = [
    ("active", _("Active")),
    ("ending", _("Ending within 30 days")),
    ("expired", _("Expired")),
    ("all", _("All")),
]

ARRANGE_CHOICES = [
    ("ends_on", _("End Date ↑")),
    ("-ends_on", _("End Date ↓")),
    ("name", _("Name ↑")),
    ("-name", _("Name ↓")),
    ("licenses", _("Licenses ↑")),
    ("-licenses", _("Licenses ↓")),
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


def subscription_queryset(
    *, account: Account | None, viewer: Membership | None = None
) -> QuerySet[Subscription]:
    """The account's subscriptions; for a License Administrator (`viewer`), only those
    holding a key they administer (in the same query)."""
    if account is None:
        return Subscription.objects.none()
    qs = Subscription.objects.filter(account=account).select_related("product")
    if membership_is_license_admin(viewer):
        qs = qs.filter(
            Exists(
                LicenseKey.objects.filter(
                    license_key_visible_q(viewer), subscription=OuterRef("pk")
                )
            )
        )
    return qs


def _display_q(display: str, today: date) -> Q:
    if display == "active":
        return subscription_active_q(today)
    if display == "ending":
        return subscription_ending_q(today)
    if display == "expired":
        return subscription_expired_q(today)
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
        ending=Count("id", filter=_display_q("ending", today)),
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
    viewer: Membership | None = None,
) -> tuple[QuerySet[Subscription], dict[str, int]]:
    """The subscriptions to show and the Display filter's counts (within the search)."""
    qs = subscription_queryset(account=account, viewer=viewer)
    if product is not None:
        qs = qs.filter(product=product)
    qs = subscription_search(qs, search)
    counts = subscription_display_counts(qs, today=today)
    qs = qs.filter(_display_q(display, today)).with_display_name().with_expired(today=today)
    column, descending = subscription_sort(arrange)
    ordering = [f"-{column}", "-id"] if descending else [column, "id"]
    return qs.order_by(*ordering), counts


def sublicense_quota_max(
    *, subscription: Subscription, type: str, today: date, exclude_id: int | None = None
) -> int:
    """ "n" in "Quota of Licenses (k out of n available)". One query."""
    keys = list(subscription.license_keys.filter(deleted_at__isnull=True))
    for key in keys:
        key.subscription = subscription  # end_date reads it; no extra query
    states = [key.quota_state(today=today) for key in keys]
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
    product = Product.objects.filter(code=code).first() if code else None
    return product or product_default()


def product_subscription_count(*, account: Account | None, product: Product) -> int:
    if account is None:
        return 0
    return Subscription.objects.filter(account=account, product=product).count()


def product_nav(
    *, account: Account | None, product: Product | None = None, code: str | None = None
) -> dict:
    """The product navigation: the product and "Product Subscriptions (N)". Its "Proxy
    Servers (N)" comes from `proxies.context_processors`, the app that owns servers.
    One query for a given product; for a product code, one query for the product with
    its count."""
    if product is None:
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
    return {"product": product, "subscriptions": subscriptions}


@dataclass(frozen=True)
class SupportRow:
    subscription: Subscription
    period: str  # Subscription.period: upcoming, active or expired


@dataclass(frozen=True)
class SupportStatus:
    """What the Support page says: support runs while a subscription is active, until the
    last active one ends; after that, since the last one ended."""

    rows: list[SupportRow]  # every subscription, newest end first, with its period
    active: list[Subscription]
    products: list[Product]
    until: date | None  # the last day of support, while some subscription is active
    last_ended: date | None  # the end of the last subscription, when none is active


def support_status(*, account: Account | None, today: date) -> SupportStatus:
    """The account's support, by its subscriptions' periods (`Subscription.is_active`).
    One query."""
    subscriptions = list(subscription_queryset(account=account).order_by("-ends_on", "id"))
    active = [s for s in subscriptions if s.is_active(today=today)]
    products = {s.product_id: s.product for s in subscriptions}
    return SupportStatus(
        rows=[SupportRow(s, s.period(today=today)) for s in subscriptions],
        active=active,
        products=sorted(products.values(), key=lambda p: p.name),
        until=max((s.ends_on for s in active), default=None),
        last_ended=max((s.ends_on for s in subscriptions), default=None),
    )


# License Administrators (a key's gear → License Administrators → Manage Users)


def license_key_administrator_list(*, license_key: LicenseKey) -> list[Membership]:
    """The key's License Administrators, by name: one query."""
    return list(
        Membership.objects.filter(license_key_roles__license_key=license_key)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email", "pk")
    )


def license_key_administrator_candidates(*, license_key: LicenseKey) -> QuerySet[Membership]:
    """Who may be made License Administrator of the key: the account's active Regular
    Members who do not hold it yet (an Account Administrator manages every key)."""
    held = LicenseKeyAdministrator.objects.filter(
        license_key=license_key, membership=OuterRef("pk")
    )
    return (
        Membership.objects.filter(
            account_id=license_key.subscription.account_id,
            role=Membership.Role.MEMBER,
            status=Membership.Status.ACTIVE,
        )
        .exclude(Exists(held))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email", "pk")
    )


def license_keys_administered(*, membership: Membership | None) -> list[LicenseKey]:
    """The live keys a License Administrator holds, with their subscriptions and
    products, by name: their Dashboard. One query."""
    if not membership_is_license_admin(membership):
        return []
    return list(
        LicenseKey.objects.filter(license_key_visible_q(membership), deleted_at__isnull=True)
        .select_related("subscription__product")
        .order_by("subscription__product__name", "name", "id")
    )
