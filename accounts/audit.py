"""The Audit Log in words: one sentence per entry ("Anna Lee blocked Tom Ford") and one
label per action code ("Member blocked") for the page's What column and Action filter.

The codes stay what the log stores and what exports and the REST API return; only the
page speaks in sentences, and it gets them here, never from a template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from accounts.models import Account, AuditLog, User

# code: (label for the Action filter, sentence with a person as the actor)
ACTIONS: dict[str, tuple[str, str]] = {
    "account.created": (
        "Business account created",
        "{actor} created the business account {target}",
    ),
    "account.updated": ("Company information changed", "{actor} changed the company information"),
    "api_token.created": ("API token created", "{actor} created the API token {target}"),
    "api_token.revoked": ("API token revoked", "{actor} revoked the API token {target}"),
    "invitation.created": ("User invited", "{actor} invited {target}"),
    "invitation.resent": ("Invitation sent again", "{actor} sent the invitation of {target} again"),
    "invitation.revoked": ("Invitation withdrawn", "{actor} withdrew the invitation of {target}"),
    "invitation.accepted": ("Invitation accepted", "{target} accepted the invitation"),
    "membership.created": ("Member joined", "{target} joined the business account"),
    "membership.role_changed": ("Role changed", "{actor} changed the role of {target}"),
    "membership.updated": ("Member notes changed", "{actor} changed the notes on {target}"),
    "membership.blocked": ("Member blocked", "{actor} blocked {target}"),
    "membership.unblocked": ("Member unblocked", "{actor} unblocked {target}"),
    "membership.deleted": ("Member removed", "{actor} removed {target} from the business account"),
    "membership.left": ("Member left", "{actor} left the business account"),
    "license_key.created": ("License key created", "{actor} created the license key {target}"),
    "license_key.updated": ("License key changed", "{actor} changed the license key {target}"),
    "license_key.deleted": ("License key deleted", "{actor} deleted the license key {target}"),
    "license_key.renamed": ("License key renamed", "{actor} renamed a license key to {target}"),
    "proxy_server.activated": (
        "Proxy server activated",
        "{actor} activated the proxy server {target}",
    ),
    "proxy_server.refreshed": ("License refreshed", "{actor} refreshed the license of {target}"),
    "proxy_server.deactivated": (
        "Proxy server deactivated",
        "{actor} deactivated the proxy server {target}",
    ),
    "proxy_server.deactivation_requested": (
        "Proxy server deactivation requested",
        "{actor} asked to deactivate the proxy server {target}",
    ),
    "proxy_server.notes_updated": (
        "Proxy server notes changed",
        "{actor} changed the notes on {target}",
    ),
    "subscription.issued": ("Subscription issued", "{actor} issued the subscription {target}"),
    "subscription.registered": (
        "Subscription registered",
        "{actor} registered the subscription {target}",
    ),
    "subscription.renamed": ("Subscription renamed", "{actor} renamed the subscription {target}"),
    "subscription.renewed": ("Subscription renewed", "{actor} renewed the subscription {target}"),
    "subscription.upgraded": (
        "Subscription upgraded",
        "{actor} upgraded the subscription {target}",
    ),
    "subscription.offline_enabled": (
        "Offline use allowed",
        "{actor} allowed offline use of the subscription {target}",
    ),
}

# What a proxy server does itself (online, no person acting): said of the server.
BY_INSTALLATION: dict[str, str] = {
    "proxy_server.activated": "The proxy server {target} activated its license key online",
    "proxy_server.refreshed": "The proxy server {target} refreshed its license online",
    "proxy_server.deactivated": "The proxy server {target} deactivated itself online",
}

ROLE_NAMES = {"admin": "Account Administrator", "member": "Regular Member"}


def audit_action_label(code: str) -> str:
    """The words for an action code; an unknown code is shown as it is."""
    return ACTIONS[code][0] if code in ACTIONS else code


def audit_action_choices(codes: Iterable[str]) -> list[tuple[str, str]]:
    return sorted(((code, audit_action_label(code)) for code in codes), key=lambda c: c[1])


def _person(user: User | None, label: str) -> str:
    if user is not None:
        return user.get_full_name() or user.email
    return label


def audit_sentence(entry: AuditLog, *, names: Mapping[str, str] | None = None) -> str:
    """One entry as a sentence. `names` maps e-mail addresses to people's names, so a
    member shows as "Tom Ford" rather than the address the entry keeps."""
    names = names or {}
    target = names.get(entry.target_label, entry.target_label) or "—"
    if entry.actor_id is None and entry.action in BY_INSTALLATION:
        return BY_INSTALLATION[entry.action].format(target=target)
    actor = _person(entry.actor, entry.actor_label) or "The portal"
    if entry.action not in ACTIONS:
        return f"{actor}: {entry.action} {entry.target_label}".strip()
    sentence = ACTIONS[entry.action][1].format(actor=actor, target=target)
    if entry.action == "membership.role_changed":
        role = (entry.data or {}).get("role") or []
        if len(role) == 2 and role[1] in ROLE_NAMES:
            sentence = (
                f"{actor} made {target} a{'n' if role[1] == 'admin' else ''} {ROLE_NAMES[role[1]]}"
            )
    return sentence


@dataclass(frozen=True)
class AuditRow:
    entry: AuditLog
    sentence: str


def audit_rows(entries: Iterable[AuditLog], *, account: Account) -> list[AuditRow]:
    """A page of entries with their sentences, in two queries whatever its length: the
    entries (with their actors) and the names of the account's members they name by
    e-mail (an invitee who has not joined keeps their address)."""
    entries = list(entries)
    emails = {e.target_label for e in entries if "@" in e.target_label}
    members = User.objects.filter(email__in=emails, memberships__account=account)
    names = {
        user.email: user.get_full_name()
        for user in members.only("email", "first_name", "last_name")
        if user.get_full_name()
    }
    return [AuditRow(entry=e, sentence=audit_sentence(e, names=names)) for e in entries]
