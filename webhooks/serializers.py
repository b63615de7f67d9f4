"""Exact shapes of the webhooks API, and of every event body (the event catalog as
OpenAPI schemas: a delivery's `event` is one of them, told apart by `type`)."""

from __future__ import annotations

import json

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.models import Membership
from api.pagination import PageQuerySerializer, paginated
from api.serializers import SUBLICENSE_TYPES
from api.tickets import TICKET_CATEGORIES, TICKET_STATUSES
from proxies.models import ProxyServer
from webhooks.events import CATALOG, MEMBER_VIA, TEST
from webhooks.models import Delivery

EVENT_TYPES = [(event.type, event.type) for event in CATALOG]
# Choice sets with their own names in the OpenAPI document (settings.ENUM_NAME_OVERRIDES).
MEMBER_STATUSES = [
    ("invited", "Invited"),
    ("active", "Active"),
    ("blocked", "Blocked"),
    ("removed", "Removed"),
]
DELIVERY_STATUSES = Delivery.Status.choices
PROXY_STATUSES = ProxyServer.Status.choices
ACTIVATION_METHODS = ProxyServer.Method.choices


# --- the event catalog ------------------------------------------------------------------------


class EventAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProxyServerDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    server_name = serializers.CharField()
    site_code = serializers.CharField()
    status = serializers.ChoiceField(choices=PROXY_STATUSES)
    activation_method = serializers.ChoiceField(choices=ACTIVATION_METHODS)
    license_key = serializers.CharField(help_text="Masked as Regular Members see it.")
    license_key_id = serializers.IntegerField()
    subscription_id = serializers.IntegerField()
    registered_computers = serializers.IntegerField()
    last_report_at = serializers.DateTimeField(allow_null=True)


class SubscriptionDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    product = serializers.CharField()
    licenses = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    trial = serializers.BooleanField()


class SublicenseDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subscription_id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=SUBLICENSE_TYPES)
    quota = serializers.IntegerField(allow_null=True)
    license_key = serializers.CharField(help_text="Masked as Regular Members see it.")
    renew_with_subscription = serializers.BooleanField()
    expires_on = serializers.DateField(allow_null=True)
    deleted = serializers.BooleanField()


class MemberDataSerializer(serializers.Serializer):
    membership_id = serializers.IntegerField(allow_null=True)
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True)
    status = serializers.ChoiceField(choices=MEMBER_STATUSES)


class ProxyServerEventDataSerializer(serializers.Serializer):
    proxy_server = ProxyServerDataSerializer()
    reason = serializers.CharField(
        required=False, help_text="proxy_server.deactivated: why (e.g. administrator)."
    )
    offline_file = serializers.DictField(
        required=False,
        help_text='offline_file.processed: {"request": "activation" | "refresh" | "deactivation"}.',
    )
    moved_from = serializers.DictField(
        required=False,
        help_text='proxy_server.moved: the key it left, {"license_key": masked, '
        '"license_key_id": 12}.',
    )


class SubscriptionEventDataSerializer(serializers.Serializer):
    subscription = SubscriptionDataSerializer()
    licenses_added = serializers.IntegerField(required=False, help_text="subscription.upgraded")
    previous_ends_on = serializers.DateField(required=False, help_text="subscription.renewed")
    days_left = serializers.ChoiceField(
        choices=[30, 7, 1], required=False, help_text="subscription.ending"
    )


class SublicenseEventDataSerializer(serializers.Serializer):
    sublicense = SublicenseDataSerializer()
    changes = serializers.DictField(
        child=serializers.DictField(),
        required=False,
        help_text='sublicense.changed: {"quota": {"from": 5, "to": 8}, ...}',
    )


class MemberEventDataSerializer(serializers.Serializer):
    member = MemberDataSerializer()
    via = serializers.ChoiceField(
        choices=MEMBER_VIA,
        help_text="How it came about: portal (a page), invitation (accepted), sso (a "
        "sign-in through the account's identity provider), scim (its provisioning), api, "
        "admin (sales staff), cli, system.",
    )


class TicketDataSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    category = serializers.ChoiceField(choices=TICKET_CATEGORIES)
    status = serializers.ChoiceField(choices=TICKET_STATUSES)
    subscription_id = serializers.IntegerField(allow_null=True)
    license_key_id = serializers.IntegerField(allow_null=True)
    proxy_server_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TicketEventDataSerializer(serializers.Serializer):
    ticket = TicketDataSerializer()
    by_support_team = serializers.BooleanField(
        help_text="The support team acted (a reply or status from Django admin)."
    )
    status = serializers.DictField(
        required=False,
        help_text='ticket.status_changed (and a reply that changed it): {"from": "open", '
        '"to": "closed"}.',
    )


class TestEventDataSerializer(serializers.Serializer):
    message = serializers.CharField()
    endpoint_id = serializers.IntegerField()


def _event_serializer(name: str, data: type[serializers.Serializer], types: list[str]):
    return type(
        name,
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "__doc__": "Event types: " + ", ".join(types) + ".",
            "id": serializers.CharField(help_text="Also the webhook-id header; same on retries."),
            "type": serializers.ChoiceField(choices=types),
            "timestamp": serializers.DateTimeField(help_text="When it happened (UTC)."),
            "account": EventAccountSerializer(),
            "data": data(),
        },
    )


def _types(subject: str) -> list[str]:
    return [event.type for event in CATALOG if event.subject == subject]


EVENT_SERIALIZERS = {
    "proxy_server": _event_serializer(
        "ProxyServerEvent", ProxyServerEventDataSerializer, _types("proxy_server")
    ),
    "subscription": _event_serializer(
        "SubscriptionEvent", SubscriptionEventDataSerializer, _types("subscription")
    ),
    "sublicense": _event_serializer(
        "SublicenseEvent", SublicenseEventDataSerializer, _types("sublicense")
    ),
    "member": _event_serializer("MemberEvent", MemberEventDataSerializer, _types("member")),
    "ticket": _event_serializer("TicketEvent", TicketEventDataSerializer, _types("ticket")),
    "test": _event_serializer("TestEvent", TestEventDataSerializer, [TEST.type]),
}

WebhookEventSerializer = PolymorphicProxySerializer(
    component_name="WebhookEvent",
    serializers={event.type: EVENT_SERIALIZERS[event.subject] for event in (*CATALOG, TEST)},
    resource_type_field_name="type",
    many=False,
)


@extend_schema_field(WebhookEventSerializer)
class EventBodyField(serializers.Field):
    """The event body exactly as it was sent."""

    def to_representation(self, value: str):
        return json.loads(value)


# --- endpoints --------------------------------------------------------------------------------


class EndpointInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="https:// only.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1, max_length=100
    )
    enabled = serializers.BooleanField(required=False, default=True)


class EndpointPatchSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        min_length=1,
        max_length=100,
        required=False,
    )
    enabled = serializers.BooleanField(required=False)


class EndpointOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES))
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    failing_since = serializers.DateTimeField(allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Until then the previous secret also signs (after a rotation)."
    )
    created_at = serializers.DateTimeField()


class EndpointCreatedSerializer(EndpointOutSerializer):
    secret = serializers.CharField(help_text="The signing secret: shown this once only.")


class SecretOutSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret: shown this once only.")
    previous_secret_expires_at = serializers.DateTimeField(
        help_text="The previous secret signs beside the new one until then."
    )


EndpointPageSerializer = paginated(EndpointOutSerializer, "WebhookEndpointPageSerializer")


# --- deliveries -------------------------------------------------------------------------------


class AttemptOutSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField(help_text="Response time.")
    status_code = serializers.IntegerField(allow_null=True)
    succeeded = serializers.BooleanField()
    response_body = serializers.CharField(help_text="The first 2 KB of the answer.")
    error = serializers.CharField(help_text="Why it failed without a 2xx, if it did.")


class DeliveryOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField(source="event.public_id")
    event_type = serializers.CharField(source="event.type")
    occurred_at = serializers.DateTimeField(source="event.occurred_at")
    status = serializers.ChoiceField(choices=DELIVERY_STATUSES)
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class DeliveryDetailSerializer(DeliveryOutSerializer):
    event = EventBodyField(source="event.body")
    attempts = AttemptOutSerializer(many=True, source="attempts.all")


DeliveryPageSerializer = paginated(DeliveryOutSerializer, "WebhookDeliveryPageSerializer")


class DeliveryQuerySerializer(PageQuerySerializer):
    status = serializers.ChoiceField(choices=DELIVERY_STATUSES, required=False)


class RedeliverInSerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        help_text="Every failed delivery of the endpoint created since then is sent again."
    )


class RedeliverOutSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many deliveries will be sent again.")
