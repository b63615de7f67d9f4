"""Reads for the Download page (guide, chapter 7): who may see a product's downloads,
its published versions (newest first) and the files of one version.

The rule: members of an account with an active subscription of the product. The
page says why when that does not hold; the file view answers 404 instead.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from django.db.models import Count

from accounts.models import Account
from subscriptions.models import (
    Download,
    Product,
    Subscription,
    subscription_active_q,
    subscription_upcoming_q,
)

_VERSION_PART = re.compile(r"\d+|[^\d.\-_\s]+")


class Access(StrEnum):
    GRANTED = "granted"
    NO_ACCOUNT = "no_account"  # signed in, but in no account that could subscribe
    NO_SUBSCRIPTION = "no_subscription"
    EXPIRED = "expired"  # subscribed once; none is active today
    NOT_STARTED = "not_started"  # the subscription starts later


def version_sort_key(version: str) -> tuple:
    """ "10.0" after "9.2", "7.0.1" after "7.0"; letters sort below numbers ("7.0 beta")."""
    parts = _VERSION_PART.findall(version)
    key = [(2, int(p), "") if p.isdigit() else (0, 0, p.lower()) for p in parts]
    # The end of a version sorts between a further number and a letter suffix.
    return (*key, (1, 0, ""))


def download_access(*, account: Account | None, product: Product, today: date) -> Access:
    """May the people of `account` see `product`'s downloads today? One query."""
    if account is None:
        return Access.NO_ACCOUNT
    periods = Subscription.objects.filter(account=account, product=product).aggregate(
        active=Count("id", filter=subscription_active_q(today)),
        upcoming=Count("id", filter=subscription_upcoming_q(today)),
        any=Count("id"),
    )
    if periods["active"]:
        return Access.GRANTED
    if periods["upcoming"]:
        return Access.NOT_STARTED
    if periods["any"]:
        return Access.EXPIRED
    return Access.NO_SUBSCRIPTION


def download_versions(*, product: Product) -> list[str]:
    """The versions with at least one published download, newest first. One query."""
    versions = set(
        Download.objects.filter(product=product, published=True)
        .values_list("version", flat=True)
        .distinct()
    )
    return sorted(versions, key=version_sort_key, reverse=True)


def download_list(*, product: Product, version: str) -> list[Download]:
    """The published downloads of one version: software first, then documentation."""
    rows = Download.objects.filter(product=product, version=version, published=True)
    order = {Download.Kind.SOFTWARE: 0, Download.Kind.DOCUMENTATION: 1}
    return sorted(rows, key=lambda d: (order.get(d.kind, 9), d.title.lower(), d.pk))


def download_get(*, product: Product, pk: int) -> Download | None:
    return Download.objects.filter(product=product, pk=pk, published=True).first()
