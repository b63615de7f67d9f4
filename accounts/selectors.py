"""Reads of a business account's people and history, shared by the pages and the API:
the Business Account Users list, the invitations and the audit log. A page and its API
endpoint filter through the same function here, so they cannot disagree on who matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from accounts.models import Account, AuditLog, Invitation, Membership, membership_active_admin_q

AUDIT_PAGE_SIZE = 50

# The Business Account Users list's column sorts, for the page and the API alike: each
# is one column (an annotation where it spans several) and a direction; ties go by id in
# the same direction. The page orders by it and the API pages through it by keyset
# (member_sort), so both list the same people in the same order.
MEMBER_SORTS: dict[str, tuple[str, bool]] = {
    "name": ("sort_name", False),
    "-name": ("sort_name", True),
    "email": ("user__email", False),
    "-email": ("user__email", True),
    "role": ("sort_role", False),
    "-role": ("sort_role", True),
    "status": ("sort_status", False),
    "-status": ("sort_status", True),
    "since": ("created_at", False),
    "-since": ("created_at", True),
}


def member_sort(sort: str) -> tuple[str, bool]:
    """The column and direction (descending?) of one of MEMBER_SORTS, else by name."""
    return MEMBER_SORTS.get(sort, MEMBER_SORTS["name"])


def _full_name(*before: str) -> Concat:
    # Within a role or status, by name: one text value, so that one keyset column sorts.
    parts = [*before, "user__first_name", "user__last_name", "user__email"]
    spaced = [p for part in parts for p in (F(part), Value(" "))][:-1]
    return Concat(*spaced, output_field=CharField())


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
    # The Role column names a License Administrator and how many keys they hold.
    qs = qs.with_license_key_count().filter(membership_search_q(search))
    if role:
        qs = qs.filter(role=role)
    if status:
        qs = qs.filter(status=status)
    qs = qs.annotate(
        sort_name=_full_name(), sort_role=_full_name("role"), sort_status=_full_name("status")
    )
    column, descending = member_sort(sort)
    return qs.order_by(*([f"-{column}", "-pk"] if descending else [column, "pk"]))


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
        active_admins=Count("pk", filter=membership_active_admin_q()),
    )


# The invitations' one order, for the page and the API: by address, where an
# administrator looks for a person in the Pending Invitations list (ties by id).
INVITATION_SORT = "email"


def membership_is_last_admin(*, membership: Membership, active_admins: int | None = None) -> bool:
    """Is this the account's last active Account Administrator? The services refuse to
    demote, block, delete or let leave them (deciding again under the account's lock);
    the pages grey those controls. `active_admins`, when the caller has counted the
    account's active administrators already (membership_counts), saves the query."""
    if not membership.is_admin:
        return False
    if active_admins is not None:
        return active_admins == 1
    others = Membership.objects.active_admins().filter(account_id=membership.account_id)
    return not others.exclude(pk=membership.pk).exists()


def invitation_known_emails(*, account: Account, emails: list[str]) -> tuple[set[str], set[str]]:
    """Of `emails` (lower case), those of the account's members and those with a pending
    invitation: the addresses Send Invitations skips. One query each."""
    members = {
        e.lower()
        for e in Membership.objects.filter(account=account, user__email__in=emails).values_list(
            "user__email", flat=True
        )
    }
    pending = set(
        Invitation.objects.filter(
            account=account, status=Invitation.Status.PENDING, email__in=emails
        ).values_list("email", flat=True)
    )
    return members, pending


def invitation_list(*, account: Account, status: str = "") -> QuerySet[Invitation]:
    """The account's invitations by e-mail address; `status` narrows them (e.g. pending).
    Each with its e-mail's state in the outbox (waiting, sent, failed), same query."""
    qs = Invitation.objects.select_related("invited_by", "outbox_email").filter(account=account)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(INVITATION_SORT, "id")


def audit_log_actions(*, account: Account) -> list[str]:
    """The actions recorded for the account, for the Audit Log's filter.

    A loose index scan on (account, action): each step jumps to the next action in
    the index, so the cost follows the number of distinct actions (a few dozen), not
    the number of entries (millions). The ORM's DISTINCT reads every entry. Written in
    the SQL both Postgres and SQLite (the zero-setup `make run`) speak: MIN rather than
    a parenthesised ORDER BY ... LIMIT 1, which SQLite refuses in a compound SELECT;
    both answer MIN from the index.
    """
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE actions(action) AS (
                SELECT MIN(action) FROM {table} WHERE account_id = %s
                UNION ALL
                SELECT (SELECT a.action FROM {table} a
                        WHERE a.account_id = %s AND a.action > actions.action
                        ORDER BY a.action LIMIT 1)
                FROM actions WHERE actions.action IS NOT NULL
            )
            SELECT action FROM actions WHERE action IS NOT NULL
            """,  # noqa: S608  (the table name comes from the model, values are parameters)
            [account.pk, account.pk],
        )
        return [action for (action,) in cursor.fetchall()]


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


def audit_cursor(entry: AuditLog) -> str:
    """Where the page after `entry` starts: its time (microseconds) and id."""
    moment = entry.created_at.astimezone(UTC)
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    return f"{micros}-{entry.pk}"


def audit_cursor_parse(value: str) -> tuple[datetime, int] | None:
    """The (time, id) of a cursor from `audit_cursor`, or None if it is not one."""
    micros, sep, pk = (value or "").partition("-")
    if not (sep and micros.isdigit() and pk.isdigit()) or len(micros) > 17 or len(pk) > 19:
        return None
    seconds, rest = divmod(int(micros), 1_000_000)
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest)
    except (OverflowError, OSError, ValueError):
        return None
    return moment, int(pk)


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditLog]
    older: str | None  # the cursor of the next (older) page; None on the last
    is_newest: bool


def audit_log_page(entries: QuerySet[AuditLog], *, before: str | None) -> AuditPage:
    """One page of `entries`, newest first, starting after the cursor `before`.

    Keyset pagination on the index (account, created_at, id): any page costs what the
    first does, and no COUNT(*) of millions of entries is needed.
    """
    position = audit_cursor_parse(before) if before else None
    page = entries.order_by("-created_at", "-id")
    if position is not None:
        moment, pk = position
        # The range on created_at is what the index seeks to; the id breaks ties.
        page = page.filter(created_at__lte=moment).filter(Q(created_at__lt=moment) | Q(pk__lt=pk))
    listed = list(page[: AUDIT_PAGE_SIZE + 1])
    older = audit_cursor(listed[AUDIT_PAGE_SIZE - 1]) if len(listed) > AUDIT_PAGE_SIZE else None
    return AuditPage(listed[:AUDIT_PAGE_SIZE], older, position is None)
