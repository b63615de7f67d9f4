"""The event catalog: every event type an endpoint can receive, and how each is built.

Most events are audit entries (accounts.AuditLog) of a business account: the entry
is written in the same transaction as the change, with an outbox row beside it
(accounts.AuditOutbox), and `AUDIT_EVENTS` maps its action to event types. The
others come from periodic checks (webhooks.delivery.conditions_check): a
subscription ending in 30/7/1 days (the reports app's expiry notices) or expired,
a proxy server silent for more than 7 days, going over the license limit or
coming back within it.

An event describes the object as the change left it: the audit entry's snapshot of
its target (AuditLog.state, written in the change's transaction), so six renames
within a second arrive as six names; only what the snapshot does not hold (a related
row: the key of a proxy server, a subscription's product) is read when the event is
made.

Every body has the same envelope (the Standard Webhooks payload shape):
``{"id", "type", "timestamp", "account": {"id", "name"}, "data": {...}}``; `data`
names the objects the event concerns. License keys are masked the way the account's
Regular Members see them (subscriptions.models.license_key_mask): a receiver is
another system, not an administrator at the screen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import serializers
from django.core.serializers.base import DeserializationError
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditLog, Invitation, Membership
from proxies.models import ProxyServer
from subscriptions.models import LicenseKey, Subscription, license_key_mask
from support.models import Ticket


@dataclass(frozen=True)
class EventType:
    type: str
    description: str
    # The object the event is about: "proxy_server", "subscription", "sublicense",
    # "member", "ticket", or "test".
    subject: str


CATALOG: tuple[EventType, ...] = (
    EventType(
        "proxy_server.activated", _("A proxy server activated a license key."), "proxy_server"
    ),
    EventType(
        "proxy_server.deactivated",
        _("A proxy server was deactivated and released its license key."),
        "proxy_server",
    ),
    EventType(
        "proxy_server.blacklisted",
        _(
            "An administrator blacklisted a proxy server: it was deactivated and its "
            "installation may not activate again."
        ),
        "proxy_server",
    ),
    EventType(
        "proxy_server.unblacklisted",
        _("An administrator lifted a proxy server's blacklisting."),
        "proxy_server",
    ),
    EventType(
        "proxy_server.moved",
        _("An administrator moved a proxy server to another license key (`data.moved_from`)."),
        "proxy_server",
    ),
    EventType(
        "proxy_server.over_limit",
        _("A proxy server's license key went over the license limit."),
        "proxy_server",
    ),
    EventType(
        "proxy_server.within_limit",
        _("A proxy server's license key came back within the license limit."),
        "proxy_server",
    ),
    EventType(
        "proxy_server.silent",
        _("A proxy server has not reported usage for more than 7 days."),
        "proxy_server",
    ),
    EventType(
        "subscription.issued", _("Sales issued a subscription to the account."), "subscription"
    ),
    EventType("subscription.upgraded", _("Licenses were added to a subscription."), "subscription"),
    EventType("subscription.renewed", _("A subscription's end date moved later."), "subscription"),
    EventType(
        "subscription.ending",
        _("A subscription ends in 30, 7 or 1 days (`data.days_left`)."),
        "subscription",
    ),
    EventType("subscription.expired", _("A subscription has ended."), "subscription"),
    EventType("sublicense.created", _("An administrator created a sublicense."), "sublicense"),
    EventType(
        "sublicense.changed",
        _("A sublicense's name, quota, type or expiry changed (`data.changes`)."),
        "sublicense",
    ),
    EventType("sublicense.deleted", _("A sublicense was deleted."), "sublicense"),
    EventType("member.invited", _("Someone was invited to the account."), "member"),
    EventType("member.joined", _("Someone joined the account."), "member"),
    EventType("member.role_changed", _("A member's role changed."), "member"),
    EventType("member.blocked", _("A member was blocked."), "member"),
    EventType("member.removed", _("A member was removed or left."), "member"),
    EventType(
        "offline_file.processed",
        _("An administrator uploaded an offline request file and it was processed."),
        "proxy_server",
    ),
    EventType("ticket.created", _("Someone of the account opened a support ticket."), "ticket"),
    EventType(
        "ticket.replied",
        _("A public reply was added to a support ticket, by the account or the support team."),
        "ticket",
    ),
    EventType(
        "ticket.status_changed",
        _("A support ticket's status changed: closed, reopened, resolved... (`data.status`)."),
        "ticket",
    ),
)
TYPES: dict[str, EventType] = {event.type: event for event in CATALOG}
# Sent by "Send test event" to one endpoint, whatever types it chose.
TEST = EventType("webhook.test", _("A test event sent from the portal."), "test")

# Audit action -> the event types it is.
AUDIT_EVENTS: dict[str, tuple[str, ...]] = {
    "proxy_server.activated": ("proxy_server.activated",),
    "proxy_server.deactivated": ("proxy_server.deactivated",),
    "proxy_server.blacklisted": ("proxy_server.blacklisted",),
    "proxy_server.unblacklisted": ("proxy_server.unblacklisted",),
    "proxy_server.moved": ("proxy_server.moved",),
    "subscription.issued": ("subscription.issued",),
    "subscription.registered": ("subscription.issued",),
    "subscription.upgraded": ("subscription.upgraded",),
    "subscription.renewed": ("subscription.renewed",),
    "license_key.created": ("sublicense.created",),
    "license_key.updated": ("sublicense.changed",),
    "license_key.deleted": ("sublicense.deleted",),
    "invitation.created": ("member.invited",),
    "membership.created": ("member.joined",),
    "membership.role_changed": ("member.role_changed",),
    "membership.blocked": ("member.blocked",),
    "membership.deleted": ("member.removed",),
    "membership.left": ("member.removed",),
    # Support tickets (support.services): a staff-internal note writes no entry.
    "ticket.created": ("ticket.created",),
    "ticket.replied": ("ticket.replied",),
    "ticket.closed": ("ticket.status_changed",),
    "ticket.reopened": ("ticket.status_changed",),
    "ticket.status_changed": ("ticket.status_changed",),
}
# Proxy actions that an uploaded offline file causes (channel "offline").
OFFLINE_REQUESTS = {
    "proxy_server.activated": "activation",
    "proxy_server.activation_renewed": "activation",
    "proxy_server.refreshed": "refresh",
    "proxy_server.deactivated": "deactivation",
}


def audit_event_types(entry: AuditLog) -> list[str]:
    """The event types an audit entry is (none for most entries)."""
    types = list(AUDIT_EVENTS.get(entry.action, ()))
    if entry.channel == AuditLog.Channel.OFFLINE and entry.action in OFFLINE_REQUESTS:
        types.append("offline_file.processed")
    return types


@dataclass(frozen=True)
class Built:
    """An event's `data` and the object it keeps its order with."""

    data: dict[str, Any]
    ordering_key: str


def envelope(
    *, public_id: str, type: str, occurred_at: datetime, account, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": public_id,
        "type": type,
        "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
        "account": {"id": account.pk, "name": account.name},
        "data": data,
    }


# --- the objects, as receivers see them ------------------------------------------------------


def _date(value) -> str | None:
    return value.isoformat() if value else None


def proxy_server_data(proxy: ProxyServer) -> dict[str, Any]:
    key = proxy.license_key
    return {
        "id": proxy.pk,
        "server_name": proxy.server_name,
        "site_code": proxy.site_code,
        "status": proxy.status,
        "activation_method": proxy.method,
        "license_key": license_key_mask(key.key),
        "license_key_id": key.pk,
        "subscription_id": key.subscription_id,
        "registered_computers": proxy.registered_computers,
        "last_report_at": proxy.last_report_at.isoformat() if proxy.last_report_at else None,
    }


def subscription_data(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "product": subscription.product.name,
        "licenses": subscription.licenses,
        "starts_on": _date(subscription.starts_on),
        "ends_on": _date(subscription.ends_on),
        "trial": subscription.is_trial,
    }


def sublicense_data(key: LicenseKey) -> dict[str, Any]:
    return {
        "id": key.pk,
        "subscription_id": key.subscription_id,
        "name": key.name,
        "type": key.type,
        "quota": key.quota,
        "license_key": license_key_mask(key.key),
        "renew_with_subscription": key.renew_with_subscription,
        "expires_on": _date(key.expires_on),
        "deleted": key.deleted_at is not None,
    }


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    """A ticket as receivers see it: never its messages (a reply may hold what only the
    account's people should read), only what it is and where it stands."""
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "category": ticket.category,
        "status": ticket.status,
        "subscription_id": ticket.subscription_id,
        "license_key_id": ticket.license_key_id,
        "proxy_server_id": ticket.proxy_server_id,
        "created_at": ticket.created_at.isoformat() if ticket.created_at else None,
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def member_data(
    *, email: str, role: str | None, status: str, membership_id: int | None = None
) -> dict[str, Any]:
    return {"membership_id": membership_id, "email": email, "role": role, "status": status}


# --- from audit entries ----------------------------------------------------------------------


def _target(model, entry: AuditLog, **related):
    """The entry's target as the change left it: its snapshot (AuditLog.state, written
    in the change's transaction), so a series of changes arrives as a series of states;
    what the snapshot does not hold (a related row) is read as it is now. Entries
    without a snapshot read the row as it is now."""
    if not entry.target_id.isdigit():
        return None
    if entry.state and entry.state.get("model") == model._meta.label_lower:
        try:
            [restored] = serializers.deserialize(
                "python", [{**entry.state, "pk": int(entry.target_id)}], ignorenonexistent=True
            )
        except DeserializationError:
            pass  # a field changed shape since: the row as it is now
        else:
            return restored.object
    return (
        model.objects.select_related(*related.get("select", ()))
        .filter(pk=int(entry.target_id))
        .first()
    )


def _proxy_from(entry: AuditLog) -> ProxyServer | None:
    return _target(
        ProxyServer, entry, select=("license_key__subscription", "license_key", "account")
    )


def build_from_audit(entry: AuditLog, type: str) -> Built | None:
    """The `data` of event `type` caused by audit `entry`; None when the object it
    names is gone (nothing left to describe)."""
    subject = TYPES[type].subject
    if subject == "proxy_server":
        proxy = _proxy_from(entry)
        if proxy is None:
            return None
        data: dict[str, Any] = {"proxy_server": proxy_server_data(proxy)}
        if type == "offline_file.processed":
            data["offline_file"] = {"request": OFFLINE_REQUESTS[entry.action]}
        elif type == "proxy_server.deactivated" and entry.data.get("reason"):
            data["reason"] = entry.data["reason"]
        elif type == "proxy_server.moved":
            data["moved_from"] = {
                "license_key": entry.data.get("from_license_key"),
                "license_key_id": entry.data.get("from_license_key_id"),
            }
        return Built(data, f"proxy_server:{proxy.pk}")
    if subject == "ticket":
        return _ticket_from(entry, type)
    if subject == "subscription":
        subscription = _target(Subscription, entry, select=("product",))
        if subscription is None:
            return None
        data = {"subscription": subscription_data(subscription)}
        if type == "subscription.upgraded":
            data["licenses_added"] = entry.data.get("licenses_added")
        elif type == "subscription.renewed":
            data["previous_ends_on"] = entry.data.get("ends_on_before")
        return Built(data, f"subscription:{subscription.pk}")
    if subject == "sublicense":
        key = _target(LicenseKey, entry)
        if key is None:
            return None
        data = {"sublicense": sublicense_data(key)}
        if type == "sublicense.changed":
            data["changes"] = _changes(entry.data.get("before"), entry.data.get("after"))
        return Built(data, f"sublicense:{key.pk}")
    if subject == "member":
        return _member_from(entry, type)
    return None  # pragma: no cover - every catalog subject is handled above


def _ticket_from(entry: AuditLog, type: str) -> Built | None:
    ticket = _target(Ticket, entry)
    if ticket is None:
        return None
    data: dict[str, Any] = {
        "ticket": ticket_data(ticket),
        # Staff work tickets in Django admin: their entries come from that channel.
        "by_support_team": entry.channel == AuditLog.Channel.ADMIN,
    }
    status = entry.data.get("status")
    if isinstance(status, list) and len(status) == 2:
        data["status"] = {"from": status[0], "to": status[1]}
    return Built(data, f"ticket:{ticket.pk}")


def _changes(before: dict | None, after: dict | None) -> dict[str, dict[str, Any]]:
    """Which sublicense fields changed, from and to; never the key itself."""
    before, after = before or {}, after or {}
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name) and "key" not in name
    }


def _recorded_role(entry: AuditLog) -> str | None:
    """The role an entry recorded: a value, or [before, after] for a role change."""
    role = entry.data.get("role")
    return role[-1] if isinstance(role, list) and role else role


# The member's status right after the change an event reports.
MEMBER_STATUS_AFTER = {
    "member.joined": Membership.Status.ACTIVE,
    "member.blocked": Membership.Status.BLOCKED,
    "member.removed": "removed",
}


# How a member event came about (`data.via`), when the change recorded none: by the
# channel it went through. Recorded: `sso` (a sign-in through the account's identity
# provider: just-in-time creation, a role from its group), `scim` (its provisioning),
# `invitation` (an invitation accepted).
MEMBER_VIA_BY_CHANNEL = {
    AuditLog.Channel.WEB: "portal",
    AuditLog.Channel.API: "api",
    AuditLog.Channel.ADMIN: "admin",
    AuditLog.Channel.CLI: "cli",
    AuditLog.Channel.SYSTEM: "system",
}
MEMBER_VIA = ("portal", "invitation", "sso", "scim", "api", "admin", "cli", "system")


def member_via(entry: AuditLog) -> str:
    via = (entry.data or {}).get("via")
    return via if via in MEMBER_VIA else MEMBER_VIA_BY_CHANNEL.get(entry.channel, "system")


def _member_from(entry: AuditLog, type: str) -> Built:
    email = (entry.target_label or "").lower()
    if type == "member.invited":
        invitation = _target(Invitation, entry)
        email = invitation.email if invitation is not None else email
        data = member_data(email=email, role=Membership.Role.MEMBER, status="invited")
    else:
        membership = _target(Membership, entry, select=("user",))
        if membership is not None:
            data = member_data(
                email=membership.user.email,
                # The change itself, as the entry recorded it; the rest as it is now.
                role=_recorded_role(entry) or membership.role,
                status=MEMBER_STATUS_AFTER.get(type, membership.status),
                membership_id=membership.pk,
            )
        else:  # removed: the row is gone, the entry remembers
            data = member_data(
                email=email,
                role=_recorded_role(entry),
                status="removed",
                membership_id=int(entry.target_id) if entry.target_id.isdigit() else None,
            )
    return Built({"member": data, "via": member_via(entry)}, member_ordering_key(data["email"]))


def member_ordering_key(email: str) -> str:
    """One person's events keep their order; an address can be longer than the column."""
    return "member:" + hashlib.sha256(email.lower().encode()).hexdigest()[:32]
