from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Concat, Least, Lower, NullIf, Right
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Account, Invitation, Membership
from subscriptions import quota

# 32 symbols without the look-alikes 0/O and 1/I: 25 of them carry 125 bits.
KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
KEY_GROUPS = 5
KEY_GROUP_LENGTH = 5
_KEY_CLEAN = re.compile(r"[\s\-_]+")


def license_key_generate() -> str:
    chars = "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_GROUPS * KEY_GROUP_LENGTH))
    return license_key_format(chars)


def license_key_format(chars: str) -> str:
    return "-".join(chars[i : i + KEY_GROUP_LENGTH] for i in range(0, len(chars), KEY_GROUP_LENGTH))


def license_key_normalize(raw: str) -> str | None:
    """Accept any case, spaces or missing dashes; None when it cannot be a key."""
    chars = _KEY_CLEAN.sub("", raw or "").upper()
    if len(chars) != KEY_GROUPS * KEY_GROUP_LENGTH or any(c not in KEY_ALPHABET for c in chars):
        return None
    return license_key_format(chars)


KEY_MASK = "•" * KEY_GROUP_LENGTH
KEY_MASK_PREFIX = f"{KEY_MASK}-{KEY_MASK}-…-"


def license_key_last_group(key: str) -> str:
    """The part of a key every viewer may see: its last group (a key is whole groups)."""
    return key[-KEY_GROUP_LENGTH:]


def license_key_mask(key: str) -> str:
    """Hide a license key but for its last group: •••••-•••••-…-WXYZ2.

    A key is all an installation needs to activate, so pages show one whole only to
    Account Administrators; its last group is enough to tell keys apart.
    `license_key_mask_expression` is the same in SQL.
    """
    if not key:
        return ""
    return KEY_MASK_PREFIX + license_key_last_group(key)


def license_key_last_group_expression(field: str = "key") -> Right:
    """`license_key_last_group` in SQL: what a column of masked keys sorts by."""
    return Right(field, KEY_GROUP_LENGTH)


def license_key_mask_expression(field: str = "key") -> Concat:
    """`license_key_mask` in SQL (a stored key is never empty)."""
    return Concat(
        models.Value(KEY_MASK_PREFIX),
        license_key_last_group_expression(field),
        output_field=models.CharField(),
    )


def license_key_whole_visible(viewer: Membership | None) -> bool:
    """May this viewer see whole license keys? Only an active Account Administrator, on
    the surfaces where keys are managed (the License Keys table and its API, the usage
    reports page, the offline page). A Regular Member sees them masked, and so does
    everything that leaves the portal or lists installations rather than keys: e-mails,
    the CSV export, the audit log and the Proxy Servers list (the guide shows the key
    "obscured by stars" there); those surfaces pass ``viewer=None``.

    A License Administrator sees whole the keys they administer, to activate their proxy
    servers with: every surface that passes a viewer lists only those keys to them
    (license_key_visible_q)."""
    return viewer is not None and (viewer.is_admin or viewer.is_license_admin)


def license_key_shown(key: str, *, viewer: Membership | None) -> str:
    """What `viewer` may see of a license key: whole or masked (license_key_mask).
    Every page, API answer, export, e-mail, report and audit entry goes through here."""
    return key if license_key_whole_visible(viewer) else license_key_mask(key)


def license_key_search_q(term: str, *, field: str = "key") -> models.Q | None:
    """How every viewer may search keys: by the whole value (any spelling) or by the last
    group, the part every surface shows; never by a substring. A substring search would
    let a member who sees keys masked rebuild a whole key one character at a time."""
    normalized = license_key_normalize(term)
    if normalized is not None:
        return models.Q(**{field: normalized})
    group = (term or "").strip().upper()
    if len(group) == KEY_GROUP_LENGTH and all(c in KEY_ALPHABET for c in group):
        return models.Q(**{f"{field}__endswith": f"-{group}"})
    return None


class Product(models.Model):
    code = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    support_url = models.URLField(blank=True)
    support_phone = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return self.name


def subscription_active_q(today: date, *, prefix: str = "") -> models.Q:
    """A subscription runs today: started and not yet ended. `prefix` reaches a
    subscription through a relation ("subscription__")."""
    return models.Q(**{f"{prefix}starts_on__lte": today, f"{prefix}ends_on__gte": today})


# "Expiring soon": a key that ends within this many days (the Proxy Servers page's
# Display filter, the weekly report's expiring keys); "Ending within 30 days": a
# subscription, on the Dashboard and the Subscriptions list's Display choice.
EXPIRING_SOON_DAYS = 30
ENDING_SOON = timedelta(days=EXPIRING_SOON_DAYS)


def subscription_ending_q(today: date, *, prefix: str = "") -> models.Q:
    """A running subscription whose end date is at most ENDING_SOON away."""
    return subscription_active_q(today, prefix=prefix) & models.Q(
        **{f"{prefix}ends_on__lte": today + ENDING_SOON}
    )


def subscription_expired_q(today: date, *, prefix: str = "") -> models.Q:
    return models.Q(**{f"{prefix}ends_on__lt": today})


def subscription_upcoming_q(today: date, *, prefix: str = "") -> models.Q:
    return models.Q(**{f"{prefix}starts_on__gt": today})


def subscription_default_name() -> str:
    """The name of a subscription without a display name of its own, around its product's
    name ("%(product)s Subscription"), in the active language."""
    return gettext("%(product)s Subscription")


def generated_name_in_reader_words(name: str) -> str:
    """A name the portal generated in English and stored (a weekly report keeps "Primary
    Key", "Primary", "Mac Management Subscription" as written when it was built), in the
    active language; any other name as it is. Names people gave stay theirs."""
    if name in (PRIMARY_KEY_NAME, "Primary"):
        return gettext(name)
    with translation.override("en"):
        english = subscription_default_name()
    head, _, tail = english.partition("%(product)s")
    if head or tail:
        match = re.fullmatch(re.escape(head) + "(.+)" + re.escape(tail), name)
        if match:
            return subscription_default_name() % {"product": match.group(1)}
    return name


class SubscriptionQuerySet(models.QuerySet):
    def with_display_name(self) -> SubscriptionQuerySet:
        """Annotate `sort_name`: `Subscription.display_name` in SQL, to sort by (in the
        active language, as the names are shown)."""
        before, _, after = subscription_default_name().partition("%(product)s")
        return self.annotate(
            sort_name=Coalesce(
                NullIf("name", models.Value("")),
                Concat(models.Value(before), "product__name", models.Value(after)),
            )
        )

    def with_expired(self, *, today: date) -> SubscriptionQuerySet:
        """Annotate `expired`: `Subscription.is_expired` in SQL, for lists that show it."""
        return self.annotate(
            expired=models.ExpressionWrapper(
                subscription_expired_q(today), output_field=models.BooleanField()
            )
        )

    def active(self, *, today: date) -> SubscriptionQuerySet:
        return self.filter(subscription_active_q(today))

    def expired(self, *, today: date) -> SubscriptionQuerySet:
        return self.filter(subscription_expired_q(today))


class Subscription(models.Model):
    """One product, a number of licenses, start and end dates (DESIGN.md core rules)."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscriptions",
        help_text="The business account the subscription is registered to (empty until registered).",
    )
    name = models.CharField("display name", max_length=200, blank=True)
    licenses = models.PositiveIntegerField("number of licenses")
    starts_on = models.DateField()
    ends_on = models.DateField()
    renewal = models.BooleanField("subscription renewal", default=False)
    is_trial = models.BooleanField("trial", default=False)
    offline_allowed = models.BooleanField("offline activation allowed", default=False)
    contract_details = models.TextField(blank=True)
    # Parallels' support policy: a contract may come with a number of support incidents;
    # each technical ticket against the subscription uses one (support.services).
    support_incidents = models.PositiveIntegerField(
        "support incidents",
        null=True,
        blank=True,
        help_text="How many technical support tickets the contract includes; empty: unlimited.",
    )
    registered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["account", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="subscription_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(licenses__gte=1), name="subscription_has_licenses"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or subscription_default_name() % {"product": self.product.name}

    def is_active(self, *, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on

    def is_expired(self, *, today: date) -> bool:
        return self.ends_on < today

    PERIOD_ACTIVE = "active"
    PERIOD_EXPIRED = "expired"
    PERIOD_UPCOMING = "upcoming"

    def period(self, *, today: date) -> str:
        """Where `today` falls: before the start (upcoming), in the period (active) or
        after its end (expired); the API's `status`. `subscription_active_q` and
        `subscription_expired_q` are the same rule in SQL."""
        if self.is_expired(today=today):
            return self.PERIOD_EXPIRED
        if not self.is_active(today=today):
            return self.PERIOD_UPCOMING
        return self.PERIOD_ACTIVE

    class Status(models.TextChoices):
        """The status Subscription Details shows. The value (English) is what the page
        compares to pick the badge's colour; the label is the translated text."""

        EXPIRED = "Expired", gettext_lazy("Expired")
        NOT_STARTED = "Not started", gettext_lazy("Not started")
        TRIAL = "Trial", gettext_lazy("Trial")
        ACTIVE = "Active", gettext_lazy("Active")

    def status(self, *, today: date) -> Subscription.Status:
        """The status Subscription Details shows: Expired, Not started, Trial or Active
        (`.label` for the words in the reader's language)."""
        period = self.period(today=today)
        if period == self.PERIOD_EXPIRED:
            return self.Status.EXPIRED
        if period == self.PERIOD_UPCOMING:
            return self.Status.NOT_STARTED
        return self.Status.TRIAL if self.is_trial else self.Status.ACTIVE


def license_key_end_date_expression(*, prefix: str = "") -> models.Case:
    """`LicenseKey.end_date` in SQL; `prefix` reaches a key through a relation
    ("license_key__")."""
    subscription_end = models.F(f"{prefix}subscription__ends_on")
    return models.Case(
        models.When(
            models.Q(**{f"{prefix}type": "primary"})
            | models.Q(**{f"{prefix}renew_with_subscription": True})
            | models.Q(**{f"{prefix}expires_on__isnull": True}),
            then=subscription_end,
        ),
        default=Least(f"{prefix}expires_on", subscription_end),
        output_field=models.DateField(),
    )


def license_key_licenses_expression(*, prefix: str = "") -> models.Case:
    """`LicenseKey.licenses` in SQL; `prefix` as for `license_key_end_date_expression`."""
    return models.Case(
        models.When(
            **{f"{prefix}type": "primary"}, then=models.F(f"{prefix}subscription__licenses")
        ),
        default=Coalesce(f"{prefix}quota", models.Value(0)),
        output_field=models.IntegerField(),
    )


def license_key_display_name_sort_expression() -> models.Func:
    """`LicenseKey.display_name`, lower-cased, in SQL: what the License Keys table sorts
    its Name column by. The same cases in the same order; the words are translated
    here, in the reader's language, as the property does."""
    primary = models.Q(type="primary")
    return Lower(
        models.Case(
            models.When(
                primary & models.Q(name=PRIMARY_KEY_NAME), then=models.Value(gettext("Primary Key"))
            ),
            models.When(~models.Q(name=""), then=models.F("name")),
            models.When(primary, then=models.Value(gettext("Primary"))),
            default=license_key_mask_expression(),
            output_field=models.CharField(),
        )
    )


def license_key_expiring_soon(end_date: date, *, today: date) -> bool:
    """Does a key ending on `end_date` expire soon? Today up to EXPIRING_SOON_DAYS
    ahead (the Proxy Servers page's Display filter, the weekly report's expiring keys).
    `license_key_expiring_soon_q` is the same in SQL."""
    return 0 <= (end_date - today).days <= EXPIRING_SOON_DAYS


def license_key_expiring_soon_q(today: date, *, end: str = "key_end") -> models.Q:
    """`license_key_expiring_soon` in SQL, on `end`: the key's end date, annotated by
    `license_key_end_date_expression` (LicenseKeyQuerySet.with_end_date names it key_end)."""
    return models.Q(**{f"{end}__gte": today, f"{end}__lte": today + ENDING_SOON})


def license_key_expired(end_date: date, *, today: date) -> bool:
    """Has a key ending on `end_date` expired? Past its end date; it is still good on its
    last day. `license_key_expired_q` is the same in SQL."""
    return end_date < today


def license_key_expired_q(today: date, *, end: str = "key_end") -> models.Q:
    """`license_key_expired` in SQL, on `end` as for `license_key_expiring_soon_q`."""
    return models.Q(**{f"{end}__lt": today})


class LicenseKeyQuerySet(models.QuerySet):
    def with_end_date(self) -> LicenseKeyQuerySet:
        """Annotate `key_end`: the same date as `LicenseKey.end_date`."""
        return self.annotate(key_end=license_key_end_date_expression())

    def with_licenses(self) -> LicenseKeyQuerySet:
        """Annotate `key_licenses`: the same number as `LicenseKey.licenses`."""
        return self.annotate(key_licenses=license_key_licenses_expression())


# The name a subscription's primary key is issued with (subscriptions.services): stored
# in English, shown in the reader's language (LicenseKey.display_name).
PRIMARY_KEY_NAME = "Primary Key"


class LicenseKey(models.Model):
    """The primary key (the pool of all licenses) or a sublicense carved from it."""

    class Type(models.TextChoices):
        PRIMARY = "primary", gettext_lazy("Primary")
        RESERVED = "reserved", gettext_lazy("Reserved")
        DYNAMIC = "dynamic", gettext_lazy("Dynamic")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="license_keys"
    )
    key = models.CharField(max_length=29, unique=True, default=license_key_generate)
    name = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=16, choices=Type.choices)
    quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Sublicenses only; the primary key has the whole pool."
    )
    renew_with_subscription = models.BooleanField(default=True)
    expires_on = models.DateField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LicenseKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(type="primary"),
                name="license_key_one_primary_per_subscription",
            ),
            # The primary key is the whole pool; a sublicense always has a quota of one or more.
            models.CheckConstraint(
                condition=(
                    models.Q(type="primary", quota__isnull=True)
                    | (~models.Q(type="primary") & models.Q(quota__gte=1))
                ),
                name="license_key_quota_by_type",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_primary(self) -> bool:
        return self.type == self.Type.PRIMARY

    def is_live(self, *, today: date) -> bool:
        """Not deleted and not past its end: a sublicense that is not live gives its
        licenses back to the pool."""
        return self.deleted_at is None and not license_key_expired(self.end_date, today=today)

    @property
    def end_date(self) -> date:
        """A sublicense ends with its subscription unless it has its own, earlier date."""
        if self.is_primary or self.renew_with_subscription or self.expires_on is None:
            return self.subscription.ends_on
        return min(self.expires_on, self.subscription.ends_on)

    def quota_state(self, *, today: date, used: int = 0) -> quota.KeyState:
        """The key as the pool arithmetic (`subscriptions.quota`) sees it."""
        return quota.KeyState(
            id=self.pk, type=self.type, quota=self.quota, used=used, live=self.is_live(today=today)
        )

    @property
    def licenses(self) -> int:
        """The licenses the key is allocated ("Number of licenses", "Max. Managed
        Computers"): the whole pool for the primary key, the quota for a sublicense."""
        if self.is_primary:
            return self.subscription.licenses
        return self.quota or 0

    @property
    def display_name(self) -> str:
        """The name pages, reports and e-mails show: its own, else "Primary" or the
        masked key; never the whole key, which a Regular Member may not see."""
        if self.is_primary and self.name == PRIMARY_KEY_NAME:
            return gettext("Primary Key")  # the name sales gave it, in the reader's words
        if self.name:
            return self.name
        return gettext("Primary") if self.is_primary else license_key_mask(self.key)


class LicenseKeyAdministrator(models.Model):
    """A License Administrator of one key (Parallels: a key's gear → License
    Administrators): a member of the account who sees and manages that key, its proxy
    servers and its usage, and nothing else of the account. The role is per
    (membership, key); a member holds it for one key or several."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="license_key_roles"
    )
    license_key = models.ForeignKey(
        LicenseKey, on_delete=models.CASCADE, related_name="administrators"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "license_key"], name="license_key_administrator_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} administers {self.license_key}"


class LicenseKeyInvitation(models.Model):
    """A key an invitation's invitee will administer once they join (the Manage Users
    page's Invite): on acceptance, they become its License Administrator."""

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="license_key_grants"
    )
    license_key = models.ForeignKey(
        LicenseKey, on_delete=models.CASCADE, related_name="invitation_grants"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "license_key"], name="license_key_invitation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invitation.email} will administer {self.license_key}"


def membership_is_license_admin(membership: Membership | None) -> bool:
    """Is this an active License Administrator (`Membership.is_license_admin`): a member,
    not an Account Administrator, who administers at least one key and so sees only
    those keys."""
    return membership is not None and membership.is_license_admin


def _administered_key_ids(membership: Membership) -> models.QuerySet:
    return LicenseKeyAdministrator.objects.filter(membership_id=membership.pk).values(
        "license_key_id"
    )


def license_key_manageable_q(membership: Membership | None, *, field: str = "id") -> models.Q:
    """The one rule "may this member manage this key", in SQL, on `field` (a key's id:
    "id" on keys, "license_key_id" on proxy servers). An active Account Administrator
    manages every key of the account; a License Administrator the keys they administer;
    anyone else none. `license_key_manageable` is the same in Python."""
    if membership is None or not membership.is_active:
        return models.Q(pk__in=[])
    if membership.is_admin:
        return models.Q()
    return models.Q(**{f"{field}__in": _administered_key_ids(membership)})


def license_key_manageable(membership: Membership | None, license_key: LicenseKey) -> bool:
    """`license_key_manageable_q` in Python, for one key: what views, API permissions
    and services (deactivate, blacklist, move a proxy server; rename a sublicense) ask."""
    if membership is None or not membership.is_active:
        return False
    if license_key.subscription.account_id != membership.account_id:
        return False
    if membership.is_admin:
        return True
    return LicenseKeyAdministrator.objects.filter(
        membership_id=membership.pk, license_key_id=license_key.pk
    ).exists()


def license_key_visible_q(membership: Membership | None, *, field: str = "id") -> models.Q:
    """Which of the account's keys this member sees: all of them (an Account
    Administrator, a Regular Member reads everything), or, for a License Administrator,
    only the keys they administer. Every list of keys, proxy servers and usage filters
    by it."""
    if membership_is_license_admin(membership):
        return license_key_manageable_q(membership, field=field)
    return models.Q()


class Order(models.Model):
    """The subscription's history: purchase, trial, upgrade, renewal."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", gettext_lazy("Purchase")
        TRIAL = "trial", gettext_lazy("Trial")
        UPGRADE = "upgrade", gettext_lazy("Upgrade")
        RENEWAL = "renewal", gettext_lazy("Renewal")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="orders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Licenses added by this order.")
    licenses_after = models.PositiveIntegerField()
    ends_on_after = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.quantity} on {self.created_at:%Y-%m-%d}"


def download_upload_to(download: Download, filename: str) -> str:
    # Files live under MEDIA_ROOT/downloads/, which is never served as public media:
    # the Download page's file view checks the subscription before it sends a byte.
    return f"downloads/{download.product.code}/{download.version}/{filename}"


class Download(models.Model):
    """A file or document sales staff publish for one version of a product (guide ch. 7)."""

    class Kind(models.TextChoices):
        SOFTWARE = "software", gettext_lazy("Software")
        DOCUMENTATION = "documentation", gettext_lazy("Documentation")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="downloads")
    version = models.CharField(max_length=32, help_text='The product version, e.g. "7.0".')
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SOFTWARE)
    file = models.FileField(upload_to=download_upload_to, max_length=255, blank=True)
    external_url = models.URLField(
        "external URL", blank=True, help_text="Instead of a file: where the download lives."
    )
    size = models.PositiveBigIntegerField(
        "size (bytes)", null=True, blank=True, help_text="Computed from the file on save."
    )
    sha256 = models.CharField(
        "SHA-256 checksum", max_length=64, blank=True, help_text="Computed from the file on save."
    )
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "kind", "title", "id"]
        constraints = [
            # Exactly one source: an uploaded file or an external URL.
            models.CheckConstraint(
                condition=(~models.Q(file="") & models.Q(external_url=""))
                | (models.Q(file="") & ~models.Q(external_url="")),
                name="download_file_or_url",
            ),
        ]
        indexes = [models.Index(fields=["product", "published", "version"])]

    def __str__(self) -> str:
        return f"{self.product.name} {self.version}: {self.title}"

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""
