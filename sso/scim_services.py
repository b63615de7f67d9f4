"""Writes of SCIM 2.0 (sso/scim.py): the documents the identity provider sends and the
groups it pushes. What a SCIM change means in the portal (a person joins, is blocked,
leaves, becomes or stops being an Account Administrator) is done by the same membership
services as on the pages, acting as the Account Administrator who created the token:
their rules (the last active administrator stays), audit entries and webhook events
apply unchanged. Keyword-only and atomic; the account row is locked first."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from accounts.models import Account, AuditLog, Membership
from accounts.services import account_admin_check, membership_update
from sso.errors import SsoError
from sso.models import ScimGroup, ScimUser, SsoConfig, scim_admin_group_id
from sso.services import (
    _scim_actor,
    sso_scim_user_create,
    sso_scim_user_delete,
    sso_scim_user_set_active,
)


def _lock(account: Account):
    """The token's creator, re-checked as an active Account Administrator under the
    account's row lock (FOR NO KEY UPDATE, first in core/locks.py's order)."""
    actor = _scim_actor(account)
    account_admin_check(actor=actor, account=account, lock=True)
    return actor


def _document_save(*, membership: Membership, document: dict) -> None:
    external_id = document.get("externalId") or ""
    ScimUser.objects.update_or_create(
        membership=membership,
        defaults={"document": document, "external_id": str(external_id)[:255]},
    )


def scim_user_provision(
    *,
    account: Account,
    user_name: str,
    first_name: str,
    last_name: str,
    active: bool,
    document: dict,
) -> Membership:
    """POST /Users: the person joins as a Regular Member (sso_scim_user_create), blocked at
    once when the IdP sent active false, and the document is kept."""
    with transaction.atomic():
        membership = sso_scim_user_create(
            account=account, user_name=user_name, first_name=first_name, last_name=last_name
        )
        if not active:
            sso_scim_user_set_active(account=account, membership=membership, active=False)
        _document_save(membership=membership, document=document)
    return membership


def scim_user_update(
    *, account: Account, membership: Membership, active: bool | None, document: dict
) -> None:
    """PUT or PATCH /Users/{id}: `active` blocks or unblocks the membership (the accounts'
    block service, with its rules); the rest of the document is kept as sent. One
    transaction: a refused block keeps the old document too."""
    with transaction.atomic():
        _lock(account)
        if active is not None:
            sso_scim_user_set_active(account=account, membership=membership, active=active)
        _document_save(membership=membership, document=document)


def scim_user_delete(*, account: Account, membership: Membership) -> None:
    """DELETE /Users/{id}: the person leaves the account (the document goes with the
    membership, and so do they from every group)."""
    sso_scim_user_delete(account=account, membership=membership)


# --- Groups ---------------------------------------------------------------------------


def scim_admin_group_name(account: Account) -> str:
    """The administrators' group the SSO page's Roles step names ("" when none)."""
    config = SsoConfig.objects.filter(account=account).only("admin_group").first()
    return config.admin_group if config is not None else ""


def _members_check(*, account: Account, values: list[str]) -> list[Membership]:
    """The memberships a group's `members` name: every value a member id of this account
    (anything else, another account's member included, is refused)."""
    ids = {int(v) for v in values if v.isdigit()}
    found = list(Membership.objects.filter(account=account, pk__in=ids).select_related("user"))
    known = {str(m.pk) for m in found}
    for value in values:
        if value not in known:
            raise SsoError("scim_member_unknown", value=value)
    return found


def _admins_set(
    *, account: Account, actor, add: list[Membership], remove: list[Membership]
) -> None:
    """Make `add` Account Administrators and `remove` Regular Members (membership_update,
    which audits each change as on the page). Promotions go first, so replacing one
    administrator with another never finds the account without one; the last active
    administrator is still refused by membership_update (last_admin_demote)."""

    def role_set(membership: Membership, role: str) -> None:
        membership_update(
            membership=membership,
            actor=actor,
            role=role,
            notes=membership.notes,
            channel=AuditLog.Channel.API,
            via="scim",
        )

    for membership in add:
        if membership.role != Membership.Role.ADMIN:
            role_set(membership, Membership.Role.ADMIN)
    added = {m.pk for m in add}
    demoted = [m for m in remove if m.role == Membership.Role.ADMIN and m.pk not in added]
    # The token's creator last: the token acts with their rights, so they stay an
    # administrator (as they cannot block or delete themselves) unless the last-admin
    # rule speaks first.
    for membership in sorted(demoted, key=lambda m: m.user_id == actor.pk):
        others = (
            Membership.objects.active_admins()
            .filter(account=account)
            .exclude(pk=membership.pk)
            .exists()
        )
        if membership.user_id == actor.pk and others:
            raise SsoError("scim_token_creator_demote", email=membership.user.email)
        role_set(membership, Membership.Role.MEMBER)


def scim_admin_group_save(
    *, account: Account, display_name: str, document: dict, add: list[str], remove: list[str]
) -> None:
    """Write the administrators' group: the members `add` names become Account
    Administrators, those `remove` names Regular Members; the rest of what the IdP sent is
    kept. It keeps the name the Roles step gives it."""
    with transaction.atomic():
        actor = _lock(account)
        name = scim_admin_group_name(account)
        if not name or display_name.strip().casefold() != name.casefold():
            raise SsoError("scim_admin_group_fixed", name=name)
        _admins_set(
            account=account,
            actor=actor,
            add=_members_check(account=account, values=add),
            remove=_members_check(account=account, values=remove),
        )
        ScimGroup.objects.update_or_create(
            id=scim_admin_group_id(account.pk),
            defaults={
                "account": account,
                "is_admin_group": True,
                "display_name": name,
                "external_id": str(document.get("externalId") or "")[:255],
                "document": {k: v for k, v in document.items() if k != "members"},
            },
        )


def scim_group_save(
    *, account: Account, group: ScimGroup | None, display_name: str, document: dict
) -> ScimGroup:
    """Create (group None) or replace a group other than the administrators': stored as
    sent, its members checked to be this account's users. Its name is unique in the
    account and is never the administrators' group's."""
    display_name = display_name.strip()
    try:
        with transaction.atomic():
            _lock(account)
            admin_name = scim_admin_group_name(account)
            taken = (
                ScimGroup.objects.annotate(name=Lower("display_name"))
                .filter(account=account, is_admin_group=False, name=display_name.lower())
                .exclude(pk=group.pk if group else None)
                .exists()
            )
            if taken or (admin_name and admin_name.casefold() == display_name.casefold()):
                raise SsoError("scim_group_exists", name=display_name)
            values = [str(m.get("value", "")) for m in document.get("members") or []]
            _members_check(account=account, values=values)
            group = group or ScimGroup(account=account)
            group.display_name = display_name[:255]
            group.external_id = str(document.get("externalId") or "")[:255]
            group.document = document
            group.save()
    except IntegrityError:
        # Two requests creating the same name at once: the constraint decides.
        raise SsoError("scim_group_exists", name=display_name) from None
    return group


def scim_group_delete(*, account: Account, group_id: str) -> None:
    """DELETE /Groups/{id}: a group other than the administrators' goes, and nobody's role
    changes (it gave none). The administrators' group is the Roles step's: refused, so
    that no IdP demotes every administrator by deleting it."""
    with transaction.atomic():
        _lock(account)
        if group_id == str(scim_admin_group_id(account.pk)):
            raise SsoError("scim_admin_group_fixed", name=scim_admin_group_name(account))
        ScimGroup.objects.filter(pk=group_id, account=account, is_admin_group=False).delete()
