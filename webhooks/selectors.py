"""Reads of webhooks for the pages and the API: constant query counts, whatever the size."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Account
from webhooks.models import Attempt, Delivery, Endpoint


def endpoint_list(*, account: Account) -> QuerySet[Endpoint]:
    """The account's endpoints with how many deliveries are failed and pending."""
    return Endpoint.objects.filter(account=account).annotate(
        failed_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
        pending_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
    )


def endpoint_get(*, account: Account, pk: int) -> Endpoint | None:
    return Endpoint.objects.filter(account=account, pk=pk).select_related("account").first()


def delivery_list(*, endpoint: Endpoint, status: str = "") -> QuerySet[Delivery]:
    """The endpoint's delivery log, newest first, each with its attempts (newest first)."""
    deliveries = Delivery.objects.filter(endpoint=endpoint).select_related("event")
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.prefetch_related(
        Prefetch("attempts", queryset=Attempt.objects.order_by("-started_at", "-id"))
    ).order_by("-id")


def delivery_get(*, endpoint: Endpoint, pk: int) -> Delivery | None:
    return (
        Delivery.objects.filter(endpoint=endpoint, pk=pk)
        .select_related("event")
        .prefetch_related(
            Prefetch("attempts", queryset=Attempt.objects.order_by("-started_at", "-id"))
        )
        .first()
    )
