"""Single sign-on of business accounts: the e-mail domains they verified and the
identity provider their people sign in with (issue 22)."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accounts.models import Account

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
