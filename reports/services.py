"""Weekly usage reports and expiry notices: build them, store each once, e-mail each once.

The periodic jobs are idempotent (STYLE.md, "Idempotent periodic jobs"):

- a report is stored once per account-week: the unique (account, week_start)
  constraint and INSERT ... ON CONFLICT DO NOTHING make a second run, or a
  second worker running at the same time, store nothing new;
- a notice is stored once per (object, end date, threshold) the same way;
- an e-mail is written once: in the transaction that stores the report (or the
  notice), the rows not yet e-mailed are locked (SKIP LOCKED: a parallel run
  takes the others), their e-mails written to the outbox and `email_queued_at`
  set. The outbox sends each e-mail once, with retries (outbox/delivery.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.functional import lazy

from accounts.language import Recipient
from accounts.models import Account, Membership
from outbox.services import EmailDraft, email_queue_many
from proxies.models import ProxyServer, UsageReport, proxy_server_shown_status
from proxies.selectors import SILENT_AFTER
from reports import emails
from reports.models import ExpiryNotice, WeeklyReport
from subscriptions import quota
from subscriptions.models import (
    LicenseKey,
    Subscription,
    license_key_end_date_expression,
    license_key_expiring_soon,
)

BATCH_SIZE = 500
STALE_AFTER = SILENT_AFTER  # one meaning of "silent" with the Dashboard and the list


def week_start_for(*, now: datetime) -> date:
    """The Monday of the last full week (Monday to Sunday) before `now`."""
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday() + 7)


def _week_bounds(week_start: date) -> tuple[date, datetime, datetime]:
    week_end = week_start + timedelta(days=6)
    starts_at = datetime.combine(week_start, time.min, tzinfo=UTC)
    # The report is "as of" the end of the week: Monday 00:00 after it.
    as_of = starts_at + timedelta(days=7)
    return week_end, starts_at, as_of


def _build_batch(account_ids: list[int], week_start: date) -> dict[int, dict[str, Any]]:
    """Build the reports of many accounts with four set-based queries, whatever their size
    (a fifth for the servers that reported after the week but not in it).

    Peak used by a key = the highest peak its proxies reported in the week (one key
    activates one installation at a time, so this is the peak of its installation).
    Quota, vacant and over the limit come from the pool rule (`subscriptions.quota`) fed
    with those peaks: the License Keys table's arithmetic, so the report and the table
    never disagree.
    """
    week_end, starts_at, as_of = _week_bounds(week_start)
    report_day = as_of.date()
    subscriptions = list(
        Subscription.objects.filter(account_id__in=account_ids)
        .filter(starts_on__lte=week_end, ends_on__gte=week_start)
        .select_related("product")
        .order_by("account_id", "ends_on", "id")
    )
    by_id = {sub.pk: sub for sub in subscriptions}
    keys_by_subscription: dict[int, list[LicenseKey]] = defaultdict(list)
    for key in (
        LicenseKey.objects.filter(subscription_id__in=list(by_id))
        .filter(Q(deleted_at=None) | Q(deleted_at__gte=starts_at))
        .order_by("subscription_id", "type", "name", "id")
    ):
        key.subscription = by_id[key.subscription_id]
        keys_by_subscription[key.subscription_id].append(key)
    proxies = list(
        ProxyServer.objects.filter(account_id__in=account_ids)
        .filter(Q(status__in=ProxyServer.HOLDING_STATUSES) | Q(deactivated_at__gte=starts_at))
        .annotate(key_end=license_key_end_date_expression(prefix="license_key__"))
        .order_by("account_id", "server_name", "id")
        .values(
            "id",
            "account_id",
            "license_key_id",
            "license_key__key",
            "server_name",
            "site_code",
            "status",
            "key_end",
            "activated_at",
            "last_report_at",
        )
    )
    # Per server: the week's peak, and the day of its last report up to the week's end
    # (the report is "as of" then: a later report is not this week's news).
    peaks: dict[int, int] = {}
    last_report_day: dict[int, date] = {}
    for proxy_server_id, peak, last_day in (
        UsageReport.objects.filter(
            proxy_server__account_id__in=account_ids, date__gte=week_start, date__lte=week_end
        )
        .order_by()
        .values_list("proxy_server_id")
        .annotate(peak=Max("peak"), last_day=Max("date"))
    ):
        peaks[proxy_server_id] = peak
        last_report_day[proxy_server_id] = last_day
    # A server that reported after the week but not in it: its last report before the
    # week (one more query, for those servers only; the others need none).
    later = [
        p["id"]
        for p in proxies
        if p["last_report_at"] is not None
        and p["last_report_at"] >= as_of
        and p["id"] not in last_report_day
    ]
    if later:
        last_report_day.update(
            UsageReport.objects.filter(proxy_server_id__in=later, date__lt=week_start)
            .order_by()
            .values_list("proxy_server_id")
            .annotate(last_day=Max("date"))
        )

    key_peak: dict[int, int] = {}
    proxies_by_account: dict[int, list[dict]] = defaultdict(list)
    for proxy in proxies:
        peak = peaks.get(proxy["id"])
        if peak is not None:
            key_id = proxy["license_key_id"]
            key_peak[key_id] = max(key_peak.get(key_id, 0), peak)
        proxies_by_account[proxy["account_id"]].append(proxy)

    reports: dict[int, dict[str, Any]] = {
        account_id: {
            "week_start": week_start.isoformat(),
            "week_end": week_end.isoformat(),
            "totals": {"licenses": 0, "peak": 0, "vacant": 0, "over_by": 0, "over_limit": False},
            "subscriptions": [],
            "proxies": [],
            "stale_proxies": [],
            "expiring_keys": [],
        }
        for account_id in account_ids
    }
    key_availability: dict[int, quota.KeyAvailability] = {}
    for sub in subscriptions:
        report = reports[sub.account_id]
        keys = keys_by_subscription.get(sub.pk, [])
        # A key deleted in the week, or ended before it, gives its licenses back.
        states = {
            key.pk: key.quota_state(today=week_start, used=key_peak.get(key.pk, 0)) for key in keys
        }
        availabilities = quota.key_availabilities(sub.licenses, states.values())
        rows = []
        for key in keys:
            availability = availabilities[key.pk]
            key_availability[key.pk] = availability
            rows.append(
                {
                    "id": key.pk,
                    "key": key.key,
                    "name": key.display_name,
                    "type": key.type,
                    "licenses": availability.quota,
                    "peak": availability.used,
                    **_limit_figures(availability),
                    "end_date": key.end_date.isoformat(),
                    "deleted": key.deleted_at is not None,
                }
            )
            days_left = (key.end_date - report_day).days
            if key.deleted_at is None and license_key_expiring_soon(key.end_date, today=report_day):
                report["expiring_keys"].append(
                    {
                        "key": key.key,
                        "name": key.display_name,
                        "subscription": sub.display_name,
                        "end_date": key.end_date.isoformat(),
                        "days_left": days_left,
                    }
                )
        # The subscription's figures are the Dashboard's and Subscription Details' (its
        # pool line): one function, so the three never tell two numbers for one fact.
        whole = quota.subscription_availability(sub.licenses, states.values())
        report["subscriptions"].append(
            {
                "id": sub.pk,
                "name": sub.display_name,
                "licenses": sub.licenses,
                "peak": whole.in_use,
                **_limit_figures(whole),
                "ends_on": sub.ends_on.isoformat(),
                "keys": rows,
            }
        )
        totals = report["totals"]
        totals["licenses"] += sub.licenses
        totals["peak"] += whole.in_use
        totals["vacant"] = WeeklyReport(licenses=totals["licenses"], peak=totals["peak"]).vacant
        # One subscription's vacant licenses do not make up for another's excess.
        totals["over_by"] += whole.over_by
        # A proxy whose key is over its limit refuses new enrolments: the report says so
        # whichever key it is.
        totals["over_limit"] = totals["over_limit"] or any(row["over_limit"] for row in rows)

    stale_before = as_of - STALE_AFTER
    for account_id, account_proxies in proxies_by_account.items():
        report = reports[account_id]
        for proxy in account_proxies:
            availability = key_availability.get(proxy["license_key_id"])
            last_report = _last_report_as_of(
                proxy, as_of=as_of, day=last_report_day.get(proxy["id"])
            )
            last_seen = last_report or proxy["activated_at"]
            if isinstance(last_seen, date) and not isinstance(last_seen, datetime):
                last_seen = datetime.combine(last_seen, time.min, tzinfo=UTC)
            row = {
                "id": proxy["id"],
                "server_name": proxy["server_name"],
                "site_code": proxy["site_code"],
                "key": proxy["license_key__key"],
                # What the Proxy Servers page files it under (Expired once its key ended).
                "status": proxy_server_shown_status(
                    status=proxy["status"], key_end=proxy["key_end"], today=report_day
                ),
                "last_report_at": last_report.isoformat() if last_report else None,
                "peak": peaks.get(proxy["id"]),
                "licenses": availability.quota if availability else None,
                "over_limit": bool(
                    availability
                    and proxy["status"] in ProxyServer.HOLDING_STATUSES
                    and availability.over_limit
                ),
            }
            report["proxies"].append(row)
            if proxy["status"] in ProxyServer.HOLDING_STATUSES and last_seen < stale_before:
                report["stale_proxies"].append(row)
    return reports


def _limit_figures(availability: quota.KeyAvailability) -> dict[str, Any]:
    """What a report row says about the limit, as the portal's pages say it: vacant
    (negative when over), over the limit or not, by how much, and the two numbers
    measured ("Over the limit by 9: 19 in use, 10 licenses")."""
    return {
        "vacant": availability.vacant,
        "over_limit": availability.over_limit,
        "over_by": availability.over_by,
        "in_use": availability.in_use,
        "limit": availability.limit,
        "shared_pool": availability.shared_pool,
    }


def _last_report_as_of(proxy: dict[str, Any], *, as_of: datetime, day: date | None):
    """When the server last reported, as of the end of the week: its last report time
    when that was before then, else the day of its last usage report up to the week's
    end (a date), else None (it had not reported yet)."""
    last = proxy["last_report_at"]
    if last is not None and last < as_of:
        return last
    return day


def weekly_report_build(*, account: Account, week_start: date) -> dict[str, Any]:
    """The usage report of one business account for the week starting on `week_start`."""
    return _build_batch([account.pk], week_start)[account.pk]


def _weekly_reports_store(*, account_ids: list[int], week_start: date, now: datetime) -> int:
    # Accounts already reported (an earlier or a parallel run) are not built again.
    done = set(
        WeeklyReport.objects.filter(account_id__in=account_ids, week_start=week_start).values_list(
            "account_id", flat=True
        )
    )
    todo = [account_id for account_id in account_ids if account_id not in done]
    built = _build_batch(todo, week_start) if todo else {}
    with transaction.atomic():
        # ON CONFLICT DO NOTHING: a parallel run that got there first wins, quietly.
        WeeklyReport.objects.bulk_create(
            [
                WeeklyReport(
                    account_id=account_id,
                    week_start=week_start,
                    data=data,
                    licenses=data["totals"]["licenses"],
                    peak=data["totals"]["peak"],
                    over_limit=data["totals"]["over_limit"],
                    created_at=now,
                )
                for account_id, data in built.items()
            ],
            ignore_conflicts=True,
        )
        # Every report of the batch not yet e-mailed, also one an earlier run stored
        # but did not get to e-mail; a parallel run's rows are locked and skipped.
        unsent = list(
            WeeklyReport.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account")
            .filter(account_id__in=account_ids, week_start=week_start, email_queued_at=None)
            .order_by("id")
        )
        recipients = account_admin_recipients_by_account(
            account_ids=[report.account_id for report in unsent]
        )
        email_queue_many(
            [
                draft
                for report in unsent
                for draft in emails.weekly_report_emails(
                    report=report, to=recipients.get(report.account_id, [])
                )
            ]
        )
        WeeklyReport.objects.filter(pk__in=[report.pk for report in unsent]).update(
            email_queued_at=now
        )
    return len(built)


def weekly_reports_run(
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Store and e-mail last week's report of every business account; returns how many
    reports this run built.

    Accounts are walked in keyset batches (id > last id), so memory stays bounded
    by one batch whatever the number of accounts.
    """
    week_start = week_start_for(now=now)
    built = 0
    last_id = 0
    while True:
        account_ids = list(
            Account.objects.filter(kind=Account.Kind.BUSINESS, id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not account_ids:
            return built
        last_id = account_ids[-1]
        built += _weekly_reports_store(account_ids=account_ids, week_start=week_start, now=now)
        if on_batch is not None:
            on_batch(len(account_ids))


def _admin_memberships():
    return Membership.objects.active_admins().order_by("account_id", "user__email")


def account_admin_recipients(*, account_id: int) -> list[Recipient]:
    """Where an account's notices go: its active Account Administrators, each with the
    language and time zone their e-mails are written in."""
    return account_admin_recipients_by_account(account_ids=[account_id]).get(account_id, [])


def account_admin_recipients_by_account(*, account_ids: list[int]) -> dict[int, list[Recipient]]:
    """account_admin_recipients of many accounts in one query."""
    found: dict[int, list[Recipient]] = defaultdict(list)
    for account_id, email, language, time_zone in (
        _admin_memberships()
        .filter(account_id__in=account_ids)
        .values_list("account_id", "user__email", "user__language", "user__time_zone")
    ):
        found[account_id].append(Recipient(email, language, time_zone))
    return found


def _notice_threshold(days_left: int) -> int:
    """The notice due `days_left` days before the end: the nearest threshold not yet
    passed. A run that was missed for a few days sends the one now due, not the
    stale ones before it."""
    return min(d for d in ExpiryNotice.THRESHOLDS if d >= days_left)


def _chunks(items: Iterable, size: int) -> Iterable[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def expiry_notices_run(*, now: datetime) -> int:
    """Store the notices due today (30, 7 and 1 days before a subscription or a
    sublicense ends) and write their e-mails to the outbox; returns how many e-mails.

    Sublicenses that end with their subscription are covered by its notice; only
    those with an earlier date of their own get one.
    """
    today = timezone.localdate(now)
    horizon = today + timedelta(days=max(ExpiryNotice.THRESHOLDS))
    subscriptions = (
        Subscription.objects.filter(account__isnull=False, ends_on__gte=today, ends_on__lte=horizon)
        .order_by("id")
        .values_list("id", "account_id", "ends_on")
    )
    # Keys that end before their subscription (LicenseKey.end_date, in SQL).
    keys = (
        LicenseKey.objects.with_end_date()
        .filter(
            deleted_at=None,
            key_end__gte=today,
            key_end__lte=horizon,
            key_end__lt=F("subscription__ends_on"),
            subscription__account__isnull=False,
        )
        .order_by("id")
        .values_list("id", "subscription__account_id", "key_end")
    )
    due = (
        ExpiryNotice(
            kind=kind,
            object_id=object_id,
            account_id=account_id,
            ends_on=ends_on,
            days_before=_notice_threshold((ends_on - today).days),
            created_at=now,
        )
        for kind, rows in (
            (ExpiryNotice.Kind.SUBSCRIPTION, subscriptions),
            (ExpiryNotice.Kind.LICENSE_KEY, keys),
        )
        for object_id, account_id, ends_on in rows.iterator(chunk_size=2000)
    )
    queued = 0
    for chunk in _chunks(due, BATCH_SIZE):
        with transaction.atomic():
            ExpiryNotice.objects.bulk_create(chunk, ignore_conflicts=True)
            queued += _expiry_notice_emails_queue(today=today, now=now)
    # Notices an earlier run stored but did not get to e-mail.
    with transaction.atomic():
        queued += _expiry_notice_emails_queue(today=today, now=now)
    return queued


def _expiry_notice_emails_queue(*, today: date, now: datetime) -> int:
    """Write the e-mail of every notice not yet e-mailed; a parallel run's are skipped."""
    notices = list(
        ExpiryNotice.objects.select_for_update(skip_locked=True)
        .filter(email_queued_at=None, ends_on__gte=today)
        .order_by("id")
    )
    queued = email_queue_many(
        [draft for notice in notices for draft in _expiry_notice_emails(notice=notice, today=today)]
    )
    ExpiryNotice.objects.filter(pk__in=[notice.pk for notice in notices]).update(
        email_queued_at=now
    )
    return len(queued)


def _lazy_name(obj: Subscription | LicenseKey | None) -> str:
    return lazy(lambda: obj.display_name if obj is not None else "", str)()


def _expiry_notice_emails(*, notice: ExpiryNotice, today: date) -> list[EmailDraft]:
    """One notice's e-mails to the account's administrators (one per language among
    them); none when there is nobody to tell.

    A notice whose object has since been renewed, deleted or moved is closed without
    an e-mail: the new end date gets notices of its own.
    """
    if notice.kind == ExpiryNotice.Kind.SUBSCRIPTION:
        subscription = (
            Subscription.objects.select_related("product").filter(pk=notice.object_id).first()
        )
        current = subscription is not None and subscription.account_id == notice.account_id
        current = current and subscription.ends_on == notice.ends_on
        # Names like "Primary" are words: lazy, so each e-mail says them in its language.
        name = _lazy_name(subscription)
        subscription_name = name
    else:
        key = (
            LicenseKey.objects.select_related("subscription__product")
            .filter(pk=notice.object_id)
            .first()
        )
        current = key is not None and key.deleted_at is None
        current = current and key.subscription.account_id == notice.account_id
        current = current and key.end_date == notice.ends_on
        name = _lazy_name(key)
        subscription_name = _lazy_name(key.subscription if key else None)
    recipients = account_admin_recipients(account_id=notice.account_id) if current else []
    return emails.expiry_notice_emails(
        notice=notice,
        name=name,
        subscription_name=subscription_name,
        days_left=(notice.ends_on - today).days,
        to=recipients,
    )
