"""Reads of a business account's people and history, shared by the pages and the API:
the Business Account Users list, the invitations and the audit log. A page and its API
endpoint filter through the same function here, so they cannot disagree on who matches.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Account, AuditLog, Invitation, Membership

ACTIVE_ADMIN = Q(role=Membership.Role.ADMIN, status=Membership.Status.ACTIVE)

# The Business Account Users list's column sorts; every one ends on the primary key.
MEMBER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("user__first_name", "user__last_name", "user__email"),
    "-name": ("-user__first_name", "-user__last_name", "-user__email"),
    "email": ("user__email",),
    "-email": ("-user__email",),
    "role": ("role", "user__first_name", "user__last_name"),
    "-role": ("-role", "user__first_name", "user__last_name"),
    "status": ("status", "user__first_name", "user__last_name"),
    "-status": ("-status", "user__first_name", "user__last_name"),
    "since": ("created_at",),
    "-since": ("-created_at",),
}


def membership_search_q(search: str) -> Q:
    """A person by any part of their first name, last name or e-mail (empty: everyone)."""
    search = (search or "").strip()
    if not search:
        return Q()
    return (
        Q(user__first_name__icontains=search)
        | Q(user__last_name__icontains=search)
        | Q(user__email__icontains=search)
    )


def membership_list(
    *, account: Account, search: str = "", role: str = "", status: str = "", sort: str = "name"
) -> QuerySet[Membership]:
    """The account's members matching the search and the Role and Status filters, sorted."""
    qs = Membership.objects.select_related("user").filter(account=account)
    qs = qs.filter(membership_search_q(search))
    if role:
        qs = qs.filter(role=role)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(*MEMBER_SORTS.get(sort, MEMBER_SORTS["name"]), "pk")


def membership_counts(*, account: Account, search: str = "") -> dict[str, int]:
    """The Role and Status filters' counts within the search, and the active admins (for
    the last-admin controls) among all members. One query."""
    match = membership_search_q(search)
    return Membership.objects.filter(account=account).aggregate(
        all=Count("pk", filter=match),
        admin=Count("pk", filter=match & Q(role=Membership.Role.ADMIN)),
        member=Count("pk", filter=match & Q(role=Membership.Role.MEMBER)),
        active=Count("pk", filter=match & Q(status=Membership.Status.ACTIVE)),
        blocked=Count("pk", filter=match & Q(status=Membership.Status.BLOCKED)),
        active_admins=Count("pk", filter=ACTIVE_ADMIN),
    )


def invitation_list(*, account: Account, status: str = "") -> QuerySet[Invitation]:
    """The account's invitations, newest first; `status` narrows them (e.g. pending)."""
    qs = Invitation.objects.select_related("invited_by").filter(account=account)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def audit_log_actions(*, account: Account) -> list[str]:
    """The actions the account's log holds, for the Action filter."""
    entries = AuditLog.objects.filter(account=account)
    return list(entries.order_by("action").values_list("action", flat=True).distinct())


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_log_list(
    *,
    account: Account,
    action: str = "",
    person: str = "",
    channel: str = "",
    target_type: str = "",
    since: datetime | date | None = None,
    until: datetime | date | None = None,
) -> QuerySet[AuditLog]:
    """The account's audit entries, newest first. `action` matches an action or its
    prefix (`membership.`); `person` any part of who acted or whom it was about; a
    date for `since`/`until` means that whole day."""
    qs = AuditLog.objects.filter(account=account)
    if action:
        qs = qs.filter(action__startswith=action)
    if person := (person or "").strip():
        qs = qs.filter(Q(actor_label__icontains=person) | Q(target_label__icontains=person))
    if channel:
        qs = qs.filter(channel=channel)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if since is not None:
        qs = qs.filter(created_at__gte=since if isinstance(since, datetime) else _start_of(since))
    if until is not None:
        if isinstance(until, datetime):
            qs = qs.filter(created_at__lte=until)
        else:
            qs = qs.filter(created_at__lt=_start_of(until + timedelta(days=1)))
    return qs.order_by("-created_at", "-id")
