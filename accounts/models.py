from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from outbox.models import OutboxEmail


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str) -> User:
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person. Email is the login and is unique without regard to case."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    # Personal Profile: once set, the language wins over the browser's and the footer's
    # on every device, and e-mails to this user are written in it; the time zone is
    # used for every date and time shown to this user (blank: the portal's, UTC).
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs) -> None:
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class Account(models.Model):
    """A personal account (one per user) or a business account (one per company)."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal Account")
        BUSINESS = "business", _("Business Account")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = CountryField(blank=True)
    state = models.CharField(max_length=100, blank=True)
    zip_code = models.CharField(_("ZIP / postal code"), max_length=20, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    support_code = models.CharField(max_length=11, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_business(self) -> bool:
        return self.kind == self.Kind.BUSINESS


class MembershipQuerySet(models.QuerySet):
    def active_admins(self) -> MembershipQuerySet:
        """The active Account Administrators: `Membership.is_admin` in SQL."""
        return self.filter(membership_active_admin_q())

    def with_member_count(self) -> MembershipQuerySet:
        """Annotate `member_count`: the members of each membership's account, blocked
        ones included, as the account selector ("Acme (2)") and the Users tab show it."""
        return self.annotate(member_count=models.Count("account__memberships", distinct=True))

    def with_license_key_count(self) -> MembershipQuerySet:
        """Annotate `license_keys_held`: how many keys each member administers as a
        License Administrator (subscriptions.models.LicenseKeyAdministrator, which names
        this reverse relation), read with the membership at no extra query so that
        `membership_is_license_admin` knows the role on every request."""
        return self.annotate(license_keys_held=models.Count("license_key_roles", distinct=True))


class Membership(models.Model):
    """A user's place in an account: role and status decide what they may do there."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Account Administrator")
        MEMBER = "member", _("Regular Member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account"], name="membership_unique_user_account"
            ),
        ]
        indexes = [models.Index(fields=["account", "role", "status"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.account} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        """An active Account Administrator: may change everything in the account. A
        blocked administrator may do nothing. `membership_active_admin_q` is the same
        rule in SQL; every check of the role asks one of the two."""
        return self.role == self.Role.ADMIN and self.status == self.Status.ACTIVE

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_license_admin(self) -> bool:
        """An active License Administrator: a member, not an Account Administrator, who
        administers one or more license keys (subscriptions.models.LicenseKeyAdministrator)
        and sees only those, nothing else of the account. Reads the `license_keys_held`
        annotation (MembershipQuerySet.with_license_key_count, loaded with every
        request's membership), else counts once."""
        if not self.is_active or self.is_admin:
            return False
        held = getattr(self, "license_keys_held", None)
        if held is None:
            held = self.license_key_roles.count()
            self.license_keys_held = held
        return held > 0


def membership_active_admin_q(*, prefix: str = "") -> models.Q:
    """`Membership.is_admin` in SQL; `prefix` reaches a membership through a relation
    ("memberships__")."""
    return models.Q(
        **{f"{prefix}role": Membership.Role.ADMIN, f"{prefix}status": Membership.Status.ACTIVE}
    )


class AuditLog(models.Model):
    """Who did what, when, through which channel: every state change of a key,
    an installation or a membership lands here."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("REST API")
        PROXY = "proxy", _("Proxy (online)")
        OFFLINE = "offline", _("Offline file")
        ADMIN = "admin", _("Django admin")
        CLI = "cli", _("Command line")
        SYSTEM = "system", _("System")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The target as the change left it (Django's "python" serialization of its editable
    # fields; never a secret or a hash), written with the entry in the change's
    # transaction for business accounts: what the apps following the log (webhooks)
    # describe, rather than the row as it is when they read it.
    state = models.JSONField(null=True, blank=True, editable=False, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The Audit Log's pages, newest first, by keyset (accounts.selectors).
            models.Index(fields=["account", "-created_at", "-id"], name="audit_account_newest"),
            # The actions of an account, for its filter (a loose index scan).
            models.Index(fields=["account", "action"], name="audit_account_action"),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"
        )


class AuditOutbox(models.Model):
    """An audit entry of a business account that the apps following the log (webhooks)
    have not taken yet: the transactional outbox of the audit log.

    `audit_log_record` writes it in the same transaction as the entry, and so as the
    change the entry records: a change that commits has its row, one that rolls back
    has none. A consumer takes rows with `audit_outbox_take` inside its own
    transaction and deletes them there, so an entry is handed over once and never
    lost, whatever order the transactions commit in (a cursor over AuditLog ids
    would skip an entry whose transaction committed after a later one's).
    """

    entry = models.OneToOneField(
        AuditLog, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Audit entry {self.entry_id} not yet taken"


class Invitation(models.Model):
    """An invitation to join a business account, bound to one email address.

    The link's token is stored only as its SHA-256 hash: a leaked database
    cannot be turned into working links. The token is drawn when the e-mail is
    written to the outbox (in the same transaction), so resending issues a new one
    and the old link dies; the outbox erases the e-mail's body once it is sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    # The language its e-mails are written in when the address has no user yet: the
    # inviter's at the time of inviting (accounts/emails.py).
    language = models.CharField(max_length=10, blank=True, default="")
    # The e-mail that carries the current link: waiting, sent or failed (outbox).
    outbox_email = models.ForeignKey(
        OutboxEmail, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Inviting the same person twice never yields two live links.
            models.UniqueConstraint(
                fields=["account", "email"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            ),
        ]
        indexes = [models.Index(fields=["account", "status"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.account.name}"

    def is_expired(self, now) -> bool:
        return self.expires_at <= now

    @property
    def sent_at(self) -> datetime | None:
        """When the e-mail with the current link went out; None while it waits."""
        return self.outbox_email.sent_at if self.outbox_email is not None else None

    @property
    def email_status(self) -> str:
        """The outbox status of the e-mail with the current link (queued, sent, failed)."""
        return self.outbox_email.status if self.outbox_email is not None else ""


class Feedback(models.Model):
    """What a customer wrote with "Leave Feedback" in the header: kept for staff (Django
    admin) and e-mailed to FEEDBACK_EMAIL when that is set."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    email = models.EmailField(help_text="Who wrote it (kept if the user is deleted).")
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    page = models.CharField(max_length=500, blank=True, help_text="Where they were.")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Its e-mail to FEEDBACK_EMAIL (none when that is not set): queued, sent or failed.
    outbox_email = models.ForeignKey(
        OutboxEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"Feedback from {self.email} on {self.created_at:%Y-%m-%d}"

    @property
    def email_status(self) -> str:
        return self.outbox_email.status if self.outbox_email is not None else ""
