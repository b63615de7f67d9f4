"""Exact input and output shapes of the administrators' API (no ModelSerializer:
a new model field never leaks out by itself)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import AuditLog, Invitation, Membership
from accounts.selectors import MEMBER_SORTS
from accounts.services import INVITE_LIMIT
from api.pagination import PageQuerySerializer, SearchField, paginated
from proxies.forms import SORT_CHOICES
from proxies.selectors import Display
from subscriptions.models import LicenseKey, Order, license_key_shown
from subscriptions.selectors import ARRANGE_CHOICES, LICENSE_KEY_SORTS

MAX_INT = 2_147_483_647


# --- input fields: JSON values of the type the OpenAPI document names ----------------------


class _JsonTyped:
    """DRF alone takes 0 for a text, "5" or 5.0 for an integer, "true" or 1 for a
    boolean; the document says string, integer, boolean, and the API holds to it."""

    json_type: type

    def to_internal_value(self, data):
        if not isinstance(data, self.json_type) or (
            isinstance(data, bool) and self.json_type is not bool
        ):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonText(_JsonTyped, serializers.CharField):
    json_type = str


class JsonInteger(_JsonTyped, serializers.IntegerField):
    json_type = int


class JsonBoolean(_JsonTyped, serializers.BooleanField):
    json_type = bool


# --- accounts -----------------------------------------------------------------------------


class AccountOutSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="account.id")
    name = serializers.CharField(source="account.name")
    support_code = serializers.CharField(source="account.support_code", allow_null=True)
    role = serializers.ChoiceField(choices=Membership.Role.choices, help_text="Your role there.")


AccountPageSerializer = paginated(AccountOutSerializer, "AccountPageSerializer")


# --- subscriptions ------------------------------------------------------------------------

SUBSCRIPTION_STATUSES = [("active", "Active"), ("expired", "Expired"), ("upcoming", "Upcoming")]
SUBLICENSE_TYPES = [(LicenseKey.Type.RESERVED, "Reserved"), (LicenseKey.Type.DYNAMIC, "Dynamic")]


class ProductOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SubscriptionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    product = ProductOutSerializer()
    licenses = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.ChoiceField(choices=SUBSCRIPTION_STATUSES, source="api_status")
    renewal = serializers.BooleanField()
    is_trial = serializers.BooleanField()
    offline_allowed = serializers.BooleanField()
    registered_at = serializers.DateTimeField(allow_null=True)


class OrderOutSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Order.Kind.choices)
    quantity = serializers.IntegerField(help_text="Licenses added by this order.")
    licenses_after = serializers.IntegerField()
    ends_on_after = serializers.DateField()
    created_at = serializers.DateTimeField()


class SubscriptionDetailOutSerializer(SubscriptionOutSerializer):
    contract_details = serializers.CharField(allow_blank=True)
    pool_available = serializers.IntegerField(
        help_text="Licenses the primary and dynamic keys can still take (negative: over)."
    )
    reservable = serializers.IntegerField(
        help_text="The largest quota a new Reserved sublicense may have."
    )
    orders = OrderOutSerializer(many=True)


class SubscriptionCountsSerializer(serializers.Serializer):
    active = serializers.IntegerField()
    ending = serializers.IntegerField(help_text="Active and ending within 30 days.")
    expired = serializers.IntegerField()
    all = serializers.IntegerField()


class SubscriptionPageSerializer(paginated(SubscriptionOutSerializer, "_SubscriptionPage")):
    counts = SubscriptionCountsSerializer(help_text="Per display filter, within the search.")


class SubscriptionQuerySerializer(PageQuerySerializer):
    display = serializers.ChoiceField(
        choices=[
            ("active", "Active"),
            ("ending", "Ending within 30 days"),
            ("expired", "Expired"),
            ("all", "All"),
        ],
        default="all",
        required=False,
    )
    search = SearchField(help_text="Name, product or key.")
    product = serializers.SlugField(required=False, max_length=50, help_text="Product code.")
    sort = serializers.ChoiceField(
        choices=[value for value, _ in ARRANGE_CHOICES], default="ends_on", required=False
    )


# --- license keys -------------------------------------------------------------------------


class LicenseKeyOutSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key.pk")
    key = serializers.SerializerMethodField(
        help_text="Whole for Account Administrators; masked but for its last group otherwise."
    )
    name = serializers.CharField(source="key.name", allow_blank=True)
    type = serializers.ChoiceField(choices=LicenseKey.Type.choices, source="key.type")
    quota = serializers.IntegerField(help_text="For the primary key: the subscription's licenses.")
    used = serializers.IntegerField()
    vacant = serializers.IntegerField(help_text="Negative when over the license limit.")
    over_limit = serializers.BooleanField()
    renew_with_subscription = serializers.BooleanField(source="key.renew_with_subscription")
    expires_on = serializers.DateField(
        help_text="The key's end: its own date, or the subscription's.",
    )
    created_at = serializers.DateTimeField(source="key.created_at")

    def get_key(self, obj) -> str:
        return license_key_shown(obj.key.key, viewer=self.context.get("viewer"))


LicenseKeyPageSerializer = paginated(LicenseKeyOutSerializer, "LicenseKeyPageSerializer")


class LicenseKeyQuerySerializer(PageQuerySerializer):
    type = serializers.ChoiceField(
        choices=LicenseKey.Type.choices, required=False, help_text="The page's Type filter."
    )
    search = SearchField()
    sort = serializers.ChoiceField(
        choices=LICENSE_KEY_SORTS,
        default="type",
        required=False,
        help_text="A column of the License Keys table; `-` for descending.",
    )


class SublicenseInSerializer(serializers.Serializer):
    name = JsonText(required=False, allow_blank=True, max_length=200, default="")
    quota = JsonInteger(min_value=1, max_value=MAX_INT)
    type = serializers.ChoiceField(choices=SUBLICENSE_TYPES)
    renew_with_subscription = JsonBoolean(required=False, default=True)
    expires_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required unless renew_with_subscription; not after the subscription ends.",
    )


class SublicenseUpdateSerializer(serializers.Serializer):
    """Any subset of the fields; the others keep their values."""

    name = JsonText(required=False, allow_blank=True, max_length=200)
    quota = JsonInteger(required=False, min_value=1, max_value=MAX_INT)
    type = serializers.ChoiceField(
        required=False,
        choices=SUBLICENSE_TYPES,
    )
    renew_with_subscription = JsonBoolean(required=False)
    expires_on = serializers.DateField(required=False, allow_null=True)


# --- proxy servers ------------------------------------------------------------------------


class ProxyServerOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    server_name = serializers.CharField()
    license_key = serializers.SerializerMethodField(help_text="Masked but for its last group.")
    license_key_id = serializers.IntegerField()
    subscription_id = serializers.IntegerField(source="license_key.subscription_id")
    site_code = serializers.CharField()
    site_description = serializers.CharField(allow_blank=True)
    offline_use = serializers.BooleanField(source="license_key.subscription.offline_allowed")
    app_version = serializers.CharField(allow_blank=True)
    method = serializers.ChoiceField(choices=[("online", "Online"), ("offline", "Offline")])
    status = serializers.ChoiceField(
        choices=[
            ("active", "Activated"),
            ("deactivating", "Deactivation pending"),
            ("deactivated", "Deactivated"),
        ]
    )
    activated_at = serializers.DateTimeField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    last_refresh_at = serializers.DateTimeField(allow_null=True)
    last_report_at = serializers.DateTimeField(allow_null=True)
    max_computers = serializers.IntegerField(help_text="The licenses allocated to its key.")
    registered_computers = serializers.IntegerField()
    over_limit = serializers.BooleanField()
    expires_on = serializers.DateField(source="key_end", help_text="When its key ends.")
    notes = serializers.CharField(allow_blank=True)
    blacklisted_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When an Account Administrator blacklisted the installation: it may not "
        "activate any key of the account (`installation_blacklisted`) until unblacklisted.",
    )

    def get_license_key(self, obj) -> str:
        return license_key_shown(obj.license_key.key, viewer=None)  # obscured, as on the page


ProxyServerPageSerializer = paginated(ProxyServerOutSerializer, "ProxyServerPageSerializer")


class ProxyServerMoveInSerializer(serializers.Serializer):
    license_key_id = serializers.IntegerField(
        min_value=1,
        help_text="The key to move to: a key of the same account and product that holds no "
        "installation and has room for the server's registered computers.",
    )


class ProxyServerQuerySerializer(PageQuerySerializer):
    display = serializers.ChoiceField(choices=Display.CHOICES, default=Display.ALL, required=False)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Server name, site code, site description or license key.",
    )
    sort = serializers.ChoiceField(
        choices=[value for value, _ in SORT_CHOICES], default="server_name", required=False
    )


class UsageReportOutSerializer(serializers.Serializer):
    date = serializers.DateField()
    registered_computers = serializers.IntegerField()
    peak = serializers.IntegerField()
    licenses = serializers.IntegerField(help_text="The key's license limit when reported.")
    over_limit = serializers.BooleanField()


UsageReportPageSerializer = paginated(UsageReportOutSerializer, "UsageReportPageSerializer")


class UsageQuerySerializer(PageQuerySerializer):
    since = serializers.DateField(required=False, help_text="Reports on or after this date.")
    until = serializers.DateField(required=False, help_text="Reports on or before this date.")


# --- members and invitations --------------------------------------------------------------


class MemberOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name", allow_blank=True)
    last_name = serializers.CharField(source="user.last_name", allow_blank=True)
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    status = serializers.ChoiceField(choices=Membership.Status.choices)
    notes = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text="The administrators' notes; only Account Administrators see them.",
    )
    created_at = serializers.DateTimeField(help_text="Member since.")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_notes", True):
            data.pop("notes", None)
        return data


MemberPageSerializer = paginated(MemberOutSerializer, "MemberPageSerializer")


class MemberQuerySerializer(PageQuerySerializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)
    status = serializers.ChoiceField(choices=Membership.Status.choices, required=False)
    search = SearchField(help_text="Email or name.")
    sort = serializers.ChoiceField(
        choices=list(MEMBER_SORTS),
        default="name",
        required=False,
        help_text="As the Business Account Users page sorts; `-` for descending.",
    )


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)
    notes = JsonText(required=False, allow_blank=True, max_length=2000)


class InvitationOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    status = serializers.ChoiceField(choices=Invitation.Status.choices)
    invited_by = serializers.EmailField(source="invited_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(
        allow_null=True, help_text="When the e-mail with the current link went out."
    )
    email_status = serializers.ChoiceField(
        choices=["queued", "sent", "failed", "canceled", ""],
        help_text="The invitation e-mail: queued (waiting to be sent), sent, failed or canceled.",
    )
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


InvitationPageSerializer = paginated(InvitationOutSerializer, "InvitationPageSerializer")


class InvitationQuerySerializer(PageQuerySerializer):
    status = serializers.ChoiceField(choices=Invitation.Status.choices, required=False)


class InviteInSerializer(serializers.Serializer):
    emails = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        min_length=1,
        max_length=INVITE_LIMIT,
        help_text=f"1 to {INVITE_LIMIT} addresses; each gets an email with a link.",
    )


class InviteOutSerializer(serializers.Serializer):
    invited = InvitationOutSerializer(many=True)
    already_members = serializers.ListField(child=serializers.EmailField())
    already_invited = serializers.ListField(child=serializers.EmailField())


# --- audit log ----------------------------------------------------------------------------


class AuditEntryOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label", allow_blank=True)
    actor_id = serializers.IntegerField(allow_null=True)
    channel = serializers.ChoiceField(choices=AuditLog.Channel.choices)
    action = serializers.CharField(help_text="e.g. license_key.created, membership.blocked.")
    target_type = serializers.CharField(allow_blank=True)
    target_id = serializers.CharField(allow_blank=True)
    target_label = serializers.CharField(allow_blank=True)
    data = serializers.DictField(help_text="What changed; depends on the action.")


AuditEntryPageSerializer = paginated(AuditEntryOutSerializer, "AuditEntryPageSerializer")


class AuditQuerySerializer(PageQuerySerializer):
    action = serializers.CharField(
        required=False, max_length=64, help_text="An action, or its prefix such as `membership.`"
    )
    person = serializers.CharField(
        required=False, max_length=200, help_text="Any part of who acted or whom it was about."
    )
    channel = serializers.ChoiceField(choices=AuditLog.Channel.choices, required=False)
    target_type = serializers.CharField(required=False, max_length=64)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
