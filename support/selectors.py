"""Reads for the Tickets pages, the API and admin: always within one account."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Account, Membership, User
from proxies.models import ProxyServer
from subscriptions import selectors as subscription_selectors
from subscriptions.models import LicenseKey, Subscription
from support.models import Ticket, TicketAttachment, TicketMessage, TicketWatcher

# The list's sorts: key -> ordering (the id breaks ties, so pages are stable).
SORTS: dict[str, tuple[str, ...]] = {
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "subject": ("subject", "id"),
    "-subject": ("-subject", "-id"),
    "status": ("status", "-updated_at", "-id"),
}
DEFAULT_SORT = "-updated"
# The list's status filter: every status, and "active" (open or waiting for you).
ACTIVE = "active"
ALL = "all"


def ticket_queryset(*, account: Account | None) -> QuerySet[Ticket]:
    """The account's tickets; none without an account."""
    if account is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(account=account)


def _status_q(status: str) -> Q:
    if status == ACTIVE:
        return Q(status__in=[Ticket.Status.OPEN, Ticket.Status.WAITING])
    if status in Ticket.Status.values:
        return Q(status=status)
    return Q()


def _search(qs: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """By subject or by number ("12" or "#12")."""
    q = q.strip()
    if not q:
        return qs
    condition = Q(subject__icontains=q)
    number = q.removeprefix("#")
    if number.isdigit() and len(number) < 10:
        condition |= Q(pk=int(number))
    return qs.filter(condition)


def ticket_list(
    *,
    account: Account | None,
    status: str = ALL,
    category: str = "",
    q: str = "",
    sort: str = DEFAULT_SORT,
) -> QuerySet[Ticket]:
    qs = _search(ticket_queryset(account=account), q).filter(_status_q(status))
    if category in Ticket.Category.values:
        qs = qs.filter(category=category)
    return qs.select_related("author").order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def ticket_counts(*, account: Account | None, q: str = "", category: str = "") -> dict[str, int]:
    """How many tickets each status filter shows (within the search). One query."""
    qs = _search(ticket_queryset(account=account), q)
    if category in Ticket.Category.values:
        qs = qs.filter(category=category)
    return qs.aggregate(
        **{ALL: Count("id"), ACTIVE: Count("id", filter=_status_q(ACTIVE))},
        **{value: Count("id", filter=Q(status=value)) for value in Ticket.Status.values},
    )


def ticket_get(*, account: Account | None, pk: int) -> Ticket | None:
    """One of the account's tickets with what its page shows, or None (another
    account's ticket does not exist for this one)."""
    return (
        ticket_queryset(account=account)
        .select_related("author", "subscription__product", "license_key", "proxy_server")
        .filter(pk=pk)
        .first()
    )


def ticket_messages(*, ticket: Ticket, internal: bool = False) -> list[TicketMessage]:
    """The ticket's thread, oldest first, with authors and attachments (two queries);
    staff-internal notes only when `internal`."""
    qs = ticket.messages.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=TicketAttachment.objects.order_by("id"))
    )
    if not internal:
        qs = qs.filter(internal=False)
    return list(qs.order_by("created_at", "id"))


def ticket_watchers(*, ticket: Ticket) -> list[TicketWatcher]:
    return list(ticket.watchers.select_related("user").order_by("user__first_name", "user__email"))


def watcher_recipients(*, ticket: Ticket, exclude: User | None) -> list[User]:
    """Who is told of a change: the ticket's watchers who are still active members of
    its account (a blocked or removed member hears nothing), but never `exclude`, the
    person who made the change."""
    active = Membership.objects.filter(
        user=OuterRef("user"), account_id=ticket.account_id, status=Membership.Status.ACTIVE
    )
    qs = TicketWatcher.objects.filter(ticket=ticket, user__is_active=True).filter(Exists(active))
    if exclude is not None:
        qs = qs.exclude(user=exclude)
    return [w.user for w in qs.select_related("user").order_by("user_id")]


def account_members(*, account: Account) -> QuerySet[User]:
    """The active members of the account: who may watch its tickets."""
    return User.objects.filter(
        memberships__account=account, memberships__status=Membership.Status.ACTIVE, is_active=True
    ).order_by("first_name", "last_name", "email")


def is_watching(*, ticket: Ticket, user: User) -> bool:
    return TicketWatcher.objects.filter(ticket=ticket, user=user).exists()


# What a ticket may concern: what the person sees in their current account.


def concern_subscriptions(*, account: Account | None) -> QuerySet[Subscription]:
    return subscription_selectors.subscription_queryset(account=account).order_by("-ends_on", "id")


def concern_license_keys(*, account: Account | None) -> QuerySet[LicenseKey]:
    if account is None:
        return LicenseKey.objects.none()
    return (
        LicenseKey.objects.filter(subscription__account=account, deleted_at__isnull=True)
        .select_related("subscription__product")
        .order_by("subscription_id", "type", "name", "id")
    )


def concern_proxy_servers(*, account: Account | None) -> QuerySet[ProxyServer]:
    if account is None or not account.is_business:
        return ProxyServer.objects.none()
    return ProxyServer.objects.filter(account=account).order_by("server_name", "id")


def incidents_used(*, subscription: Subscription) -> int:
    return Ticket.objects.filter(subscription=subscription, uses_incident=True).count()


def incidents_left(*, subscription: Subscription, used: int | None = None) -> int | None:
    """The support incidents the subscription has left; None: unlimited."""
    if subscription.support_incidents is None:
        return None
    if used is None:
        used = incidents_used(subscription=subscription)
    return max(subscription.support_incidents - used, 0)


@dataclass(frozen=True)
class IncidentRow:
    subscription: Subscription
    included: int
    left: int


def account_incidents(*, account: Account | None) -> list[IncidentRow]:
    """The account's subscriptions that come with a limited number of support incidents,
    with how many are left. One query."""
    subscriptions = (
        subscription_selectors.subscription_queryset(account=account)
        .filter(support_incidents__isnull=False)
        .annotate(incidents_used=Count("tickets", filter=Q(tickets__uses_incident=True)))
        .order_by("-ends_on", "id")
    )
    return [
        IncidentRow(
            subscription=s,
            included=s.support_incidents,
            left=incidents_left(subscription=s, used=s.incidents_used),
        )
        for s in subscriptions
    ]


def attachment_get_for_staff(*, ticket_pk: int, pk: int) -> TicketAttachment | None:
    """Any attachment of a ticket, internal notes' too: for the support team in admin."""
    return TicketAttachment.objects.filter(pk=pk, message__ticket_id=ticket_pk).first()


def attachment_get(*, account: Account | None, ticket_pk: int, pk: int) -> TicketAttachment | None:
    """An attachment of a public message of one of the account's tickets, or None."""
    if account is None:
        return None
    return (
        TicketAttachment.objects.filter(
            pk=pk,
            message__ticket_id=ticket_pk,
            message__ticket__account=account,
            message__internal=False,
        )
        .select_related("message")
        .first()
    )
