"""The Audit Log in words: one sentence per entry ("Anna Lee blocked Tom Ford") and one
label per action code ("Member blocked") for the page's What column and Action filter.

The codes stay what the log stores and what exports and the REST API return; only the
page speaks in sentences, and it gets them here, never from a template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AuditLog, User

# The catalog of every action the portal records: code: (label for the Action filter,
# sentence with a person as the actor). Both are translated when a page shows them, in
# the reader's language, with named placeholders. audit_log_record (accounts/services.py),
# the one place that writes entries, refuses a code that is not here: a new action
# comes with its words.
ACTIONS: dict[str, tuple[str, str]] = {
    "account.created": (
        _("Business account created"),
        _("%(actor)s created the business account %(target)s"),
    ),
    "account.updated": (
        _("Company information changed"),
        _("%(actor)s changed the company information"),
    ),
    "api_token.created": (_("API token created"), _("%(actor)s created the API token %(target)s")),
    "api_token.revoked": (_("API token revoked"), _("%(actor)s revoked the API token %(target)s")),
    "invitation.created": (_("User invited"), _("%(actor)s invited %(target)s")),
    "invitation.resent": (
        _("Invitation sent again"),
        _("%(actor)s sent the invitation of %(target)s again"),
    ),
    "invitation.revoked": (
        _("Invitation withdrawn"),
        _("%(actor)s withdrew the invitation of %(target)s"),
    ),
    "invitation.accepted": (_("Invitation accepted"), _("%(target)s accepted the invitation")),
    "membership.created": (_("Member joined"), _("%(target)s joined the business account")),
    "membership.role_changed": (_("Role changed"), _("%(actor)s changed the role of %(target)s")),
    "membership.updated": (
        _("Member notes changed"),
        _("%(actor)s changed the notes on %(target)s"),
    ),
    "membership.blocked": (_("Member blocked"), _("%(actor)s blocked %(target)s")),
    "membership.unblocked": (_("Member unblocked"), _("%(actor)s unblocked %(target)s")),
    "membership.deleted": (
        _("Member removed"),
        _("%(actor)s removed %(target)s from the business account"),
    ),
    "membership.left": (_("Member left"), _("%(actor)s left the business account")),
    "license_key.created": (
        _("License key created"),
        _("%(actor)s created the license key %(target)s"),
    ),
    "license_key.updated": (
        _("License key changed"),
        _("%(actor)s changed the license key %(target)s"),
    ),
    "license_key.deleted": (
        _("License key deleted"),
        _("%(actor)s deleted the license key %(target)s"),
    ),
    "license_key.renamed": (
        _("License key renamed"),
        _("%(actor)s renamed a license key to %(target)s"),
    ),
    "license_key.administrator_added": (
        _("License Administrator added"),
        _("%(actor)s added a License Administrator to the license key %(target)s"),
    ),
    "license_key.administrator_removed": (
        _("License Administrator removed"),
        _("%(actor)s removed a License Administrator from the license key %(target)s"),
    ),
    "proxy_server.activated": (
        _("Proxy server activated"),
        _("%(actor)s activated the proxy server %(target)s"),
    ),
    "proxy_server.refreshed": (
        _("License refreshed"),
        _("%(actor)s refreshed the license of %(target)s"),
    ),
    "proxy_server.activation_renewed": (
        _("Activation renewed"),
        _("%(actor)s renewed the activation of the proxy server %(target)s"),
    ),
    "proxy_server.deactivated": (
        _("Proxy server deactivated"),
        _("%(actor)s deactivated the proxy server %(target)s"),
    ),
    "proxy_server.deactivation_requested": (
        _("Proxy server deactivation requested"),
        _("%(actor)s asked to deactivate the proxy server %(target)s"),
    ),
    "proxy_server.usage_reported": (
        _("Usage reported"),
        _("%(actor)s sent the usage report of the proxy server %(target)s"),
    ),
    "proxy_server.notes_updated": (
        _("Proxy server notes changed"),
        _("%(actor)s changed the notes on %(target)s"),
    ),
    "proxy_server.blacklisted": (
        _("Proxy server blacklisted"),
        _("%(actor)s blacklisted the proxy server %(target)s"),
    ),
    "proxy_server.unblacklisted": (
        _("Proxy server blacklisting lifted"),
        _("%(actor)s lifted the blacklisting of the proxy server %(target)s"),
    ),
    "proxy_server.moved": (
        _("Proxy server moved to another license key"),
        _("%(actor)s moved the proxy server %(target)s to another license key"),
    ),
    # Single sign-on (sso/).
    "sso_domain.added": (_("SSO domain added"), _("%(actor)s added the domain %(target)s")),
    "sso_domain.verified": (
        _("SSO domain verified"),
        _("%(actor)s verified the domain %(target)s"),
    ),
    "sso_domain.removed": (_("SSO domain removed"), _("%(actor)s removed the domain %(target)s")),
    "sso_domain.lost": (
        _("SSO domain no longer verified"),
        _("%(actor)s found the TXT record of %(target)s gone"),
    ),
    "sso.idp_saved": (
        _("Identity provider connected"),
        _("%(actor)s connected the identity provider %(target)s"),
    ),
    "sso.roles_saved": (
        _("SSO roles changed"),
        _("%(actor)s made the group %(target)s the Account Administrators"),
    ),
    "sso.enforcement_on": (
        _("SSO required"),
        _("%(actor)s required single sign-on for %(target)s"),
    ),
    "sso.enforcement_off": (
        _("SSO no longer required"),
        _("%(actor)s stopped requiring single sign-on for %(target)s"),
    ),
    "sso.break_glass_sign_in": (
        _("Break-glass sign-in"),
        _("%(target)s signed in with a password although single sign-on is required"),
    ),
    "sso.scim_token_created": (
        _("SCIM token created"),
        _("%(actor)s created the SCIM token of %(target)s"),
    ),
    "sso.scim_token_rotated": (
        _("SCIM token replaced"),
        _("%(actor)s replaced the SCIM token of %(target)s"),
    ),
    "subscription.issued": (
        _("Subscription issued"),
        _("%(actor)s issued the subscription %(target)s"),
    ),
    "subscription.registered": (
        _("Subscription registered"),
        _("%(actor)s registered the subscription %(target)s"),
    ),
    "subscription.renamed": (
        _("Subscription renamed"),
        _("%(actor)s renamed the subscription %(target)s"),
    ),
    "subscription.renewed": (
        _("Subscription renewed"),
        _("%(actor)s renewed the subscription %(target)s"),
    ),
    "subscription.upgraded": (
        _("Subscription upgraded"),
        _("%(actor)s upgraded the subscription %(target)s"),
    ),
    "subscription.offline_enabled": (
        _("Offline use allowed"),
        _("%(actor)s allowed offline use of the subscription %(target)s"),
    ),
    "ticket.created": (
        _("Support ticket opened"),
        _("%(actor)s opened the support ticket %(target)s"),
    ),
    "ticket.replied": (
        _("Support ticket replied to"),
        _("%(actor)s replied to the support ticket %(target)s"),
    ),
    "ticket.closed": (
        _("Support ticket closed"),
        _("%(actor)s closed the support ticket %(target)s"),
    ),
    "ticket.reopened": (
        _("Support ticket reopened"),
        _("%(actor)s reopened the support ticket %(target)s"),
    ),
    "ticket.status_changed": (
        _("Support ticket status changed"),
        _("%(actor)s changed the status of the support ticket %(target)s"),
    ),
    "ticket.watcher_added": (
        _("Support ticket watcher added"),
        _("%(actor)s made %(target)s a watcher of a support ticket"),
    ),
    "ticket.watcher_removed": (
        _("Support ticket watcher removed"),
        _("%(actor)s removed %(target)s from the watchers of a support ticket"),
    ),
    "subscription.offline_disabled": (
        _("Offline use no longer allowed"),
        _("%(actor)s stopped allowing offline use of the subscription %(target)s"),
    ),
    "webhook_endpoint.created": (
        _("Webhook endpoint added"),
        _("%(actor)s added the webhook endpoint %(target)s"),
    ),
    "webhook_endpoint.updated": (
        _("Webhook endpoint changed"),
        _("%(actor)s changed the webhook endpoint %(target)s"),
    ),
    "webhook_endpoint.deleted": (
        _("Webhook endpoint deleted"),
        _("%(actor)s deleted the webhook endpoint %(target)s"),
    ),
    "webhook_endpoint.secret_rotated": (
        _("Signing secret rotated"),
        _("%(actor)s rotated the signing secret of the webhook endpoint %(target)s"),
    ),
    "webhook_endpoint.test_sent": (
        _("Test event sent"),
        _("%(actor)s sent a test event to the webhook endpoint %(target)s"),
    ),
    "webhook_endpoint.redelivered": (
        _("Events redelivered"),
        _("%(actor)s redelivered events to the webhook endpoint %(target)s"),
    ),
    "webhook_endpoint.disabled": (
        _("Webhook endpoint disabled"),
        _("%(actor)s disabled the webhook endpoint %(target)s"),
    ),
}

# What a proxy server does itself (online, no person acting): said of the server.
BY_INSTALLATION: dict[str, str] = {
    "proxy_server.activated": _("The proxy server %(target)s activated its license key online"),
    "proxy_server.refreshed": _("The proxy server %(target)s refreshed its license online"),
    "proxy_server.activation_renewed": _(
        "The proxy server %(target)s renewed its activation online"
    ),
    "proxy_server.deactivated": _("The proxy server %(target)s deactivated itself online"),
    "proxy_server.usage_reported": _("The proxy server %(target)s reported its usage online"),
}

# A role change names the new role: one whole sentence per role, for the translators.
ROLE_CHANGED_TO: dict[str, str] = {
    "admin": _("%(actor)s made %(target)s an Account Administrator"),
    "member": _("%(actor)s made %(target)s a Regular Member"),
}

# The actor of an entry that names nobody (a command, a task).
PORTAL = _("The portal")


def audit_action_label(code: str) -> str:
    """The words for an action code; an unknown code is shown as it is."""
    return str(ACTIONS[code][0]) if code in ACTIONS else code


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
        return BY_INSTALLATION[entry.action] % {"target": target}
    actor = _person(entry.actor, entry.actor_label) or str(PORTAL)
    if entry.action not in ACTIONS:
        return f"{actor}: {entry.action} {entry.target_label}".strip()
    sentence = ACTIONS[entry.action][1]
    if entry.action == "membership.role_changed":
        role = (entry.data or {}).get("role") or []
        if len(role) == 2 and role[1] in ROLE_CHANGED_TO:
            sentence = ROLE_CHANGED_TO[role[1]]
    return sentence % {"actor": actor, "target": target}


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
