"""Single sign-on of business accounts: the e-mail domains they verified and the
identity provider their people sign in with (issue 22)."""

from __future__ import annotations

import uuid

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accounts.models import Account, Membership

VERIFICATION_PREFIX = "myaccount-verification="


class SsoDomain(models.Model):
    """An e-mail domain a business account claims. It counts once the account has
    published `myaccount-verification=<token>` as a TXT record of the domain and Verify
    found it there; only then do sign-ins with its addresses go to the account's
    identity provider. Any number of accounts may claim a domain, one may verify it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sso_domains")
    domain = models.CharField(max_length=253)
    token = models.CharField(max_length=64, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    # When the daily check (or Verify) last read the domain's TXT records.
    last_checked = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "domain"], name="sso_domain_unique_per_account"
            ),
            # A verified domain belongs to one business account: two accounts verifying
            # the same domain at once each lock only their own row, so this is the lock.
            models.UniqueConstraint(
                Lower("domain"),
                condition=models.Q(verified_at__isnull=False),
                name="sso_domain_verified_once",
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def txt_record(self) -> str:
        return VERIFICATION_PREFIX + self.token


class SsoConfig(models.Model):
    """A business account's identity provider and how sign-ins through it behave.

    The provider itself is an allauth SocialApp of the `openid_connect` provider whose
    provider_id is `sso-<account id>`: allauth runs the protocol, this says whose it is.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="sso_config")
    social_app = models.OneToOneField(
        SocialApp, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Roles: members of this group (the value of `admin_claim` in the IdP's claims)
    # become Account Administrators; everyone else joins as a Regular Member.
    admin_claim = models.CharField(max_length=100, default="groups")
    admin_group = models.CharField(max_length=200, blank=True)
    roles_saved_at = models.DateTimeField(null=True, blank=True)
    # Enforcement: people of a verified domain sign in through the IdP only, except the
    # break-glass Account Administrator.
    require_sso = models.BooleanField(default=False)
    break_glass = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # SCIM 2.0 (/scim/v2/): the bearer token's SHA-256; the token is shown once.
    scim_token_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    scim_token_created_at = models.DateTimeField(null=True, blank=True, editable=False)
    # SCIM acts with the rights of the Account Administrator who created the token: the
    # membership services re-check them (a demoted creator's token changes nothing).
    scim_token_created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SSO of {self.account.name}"


class ScimUser(models.Model):
    """The SCIM User document an identity provider last sent for a member (RFC 7643 §4.1),
    kept so that what it sent comes back: userType, externalId, x509Certificates, the
    enterprise extension... The portal itself reads only userName (the person's address)
    and active (the membership's status); those live on the person and the membership,
    never here, and are put back over the document whenever it is shown."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, primary_key=True, related_name="scim_user"
    )
    # The IdP's own id of the person (caseExact), for `filter=externalId eq "..."`.
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    document = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SCIM document of membership {self.membership_id}"


class ScimGroup(models.Model):
    """A group an identity provider pushed through SCIM.

    The account's administrators' group (the one named on the SSO page's Roles step) has
    one fixed id per account, `scim_admin_group_id()`; its members are the account's
    Account Administrators, never stored here: its row, when there is one, keeps only what
    the IdP sent besides (externalId...). Any other group is stored as sent, members
    included, and gives its members nothing in the portal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="scim_groups")
    is_admin_group = models.BooleanField(default=False)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    document = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # displayName identifies a group at the IdPs (Entra and Okta look groups up
            # by it), so two groups of one account never share it.
            models.UniqueConstraint(
                "account",
                Lower("display_name"),
                condition=models.Q(is_admin_group=False),
                name="scim_group_name_unique_per_account",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_admin_group=True),
                name="scim_admin_group_once_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


# The administrators' group of every account has an id of its own, stable and unique
# across the service provider (RFC 7643 §3.1), whether or not the IdP ever wrote to it.
_ADMIN_GROUP_NAMESPACE = uuid.UUID("5c1d7a0e-3f0b-4f7e-9a57-6a4c2bde8d11")


def scim_admin_group_id(account_id: int) -> uuid.UUID:
    return uuid.uuid5(_ADMIN_GROUP_NAMESPACE, f"account:{account_id}:admins")
