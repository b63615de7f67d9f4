"""Support tickets in the REST API: list, read, create, reply, and a message's attachments
(/api/v1/accounts/<id>/tickets/).

Support is for everyone: unlike the rest of the API, a Regular Member writes here too
(opens tickets and replies), as on the Tickets pages; the same services do the work,
with channel "api". Watchers get the same e-mails whichever surface made the change.
A ticket or a reply with files is sent as multipart/form-data (the same fields, and
`attachments`); without, as JSON.
"""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import CHANNEL, ApiView
from api.errors import error_responses
from api.pagination import Keyset, PageQuerySerializer, SearchField, paginated
from api.serializers import MAX_INT, JsonInteger, JsonText
from core.api_errors import JSONParser
from support import attachments, selectors, services
from support.errors import SupportError
from support.forms import uploads_from
from support.models import Ticket

TICKETS = ["Support tickets"]
READ = error_responses(400, 401, 404)
READ_ONE = error_responses(401, 404)
WRITE = error_responses(400, 401, 404, 409, 413, 415)

# The enums of the OpenAPI document (named in settings.SPECTACULAR_SETTINGS).
TICKET_STATUSES = [(value, str(label)) for value, label in Ticket.Status.choices]
TICKET_STATUS_FILTERS = [
    (selectors.ALL, "All"),
    (selectors.ACTIVE, "Open or waiting for you"),
    *TICKET_STATUSES,
]
TICKET_CATEGORIES = [(value, str(label)) for value, label in Ticket.Category.choices]

# The API's sorts: name -> (column, descending).
SORTS = {
    "-updated": ("updated_at", True),
    "updated": ("updated_at", False),
    "-created": ("created_at", True),
    "created": ("created_at", False),
}


# --- shapes --------------------------------------------------------------------------------


class TicketQuerySerializer(PageQuerySerializer):
    status = serializers.ChoiceField(
        choices=TICKET_STATUS_FILTERS,
        default=selectors.ALL,
        help_text="`active`: open or waiting for you.",
    )
    category = serializers.ChoiceField(choices=TICKET_CATEGORIES, required=False)
    search = SearchField(help_text="Subject, or the ticket number.")
    sort = serializers.ChoiceField(choices=list(SORTS), default="-updated")


class TicketOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    category = serializers.ChoiceField(choices=TICKET_CATEGORIES)
    status = serializers.ChoiceField(
        choices=TICKET_STATUSES, help_text="`waiting`: the support team waits for you."
    )
    author = serializers.EmailField(source="author.email", allow_null=True, default=None)
    subscription_id = serializers.IntegerField(allow_null=True)
    license_key_id = serializers.IntegerField(allow_null=True)
    proxy_server_id = serializers.IntegerField(allow_null=True)
    uses_incident = serializers.BooleanField(help_text="It used one support incident.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(help_text="The last public message or status change.")


TicketPageSerializer = paginated(TicketOutSerializer, "TicketPageSerializer")


class AttachmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField(help_text="Detected from the content.")
    size = serializers.IntegerField()


class MessageOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.SerializerMethodField(
        help_text="The e-mail address of the person of the account; null for the support team."
    )
    from_support = serializers.BooleanField(source="from_staff")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentOutSerializer(many=True, source="attachments.all")

    def get_author(self, message) -> str | None:
        if message.from_staff or message.author is None:
            return None
        return message.author.email


class TicketDetailOutSerializer(TicketOutSerializer):
    incidents_left = serializers.IntegerField(
        allow_null=True, help_text="Support incidents its subscription has left; null: unlimited."
    )
    watchers = serializers.ListField(child=serializers.EmailField(), source="watcher_emails")
    messages = MessageOutSerializer(
        many=True, source="public_messages", help_text="Public messages, oldest first."
    )


class TicketInSerializer(serializers.Serializer):
    subject = JsonText(max_length=services.SUBJECT_MAX)
    category = serializers.ChoiceField(choices=TICKET_CATEGORIES)
    message = JsonText(max_length=services.BODY_MAX)
    subscription_id = JsonInteger(required=False, allow_null=True, min_value=1)
    license_key_id = JsonInteger(required=False, allow_null=True, min_value=1)
    proxy_server_id = JsonInteger(required=False, allow_null=True, min_value=1)


class ReplyInSerializer(serializers.Serializer):
    message = JsonText(max_length=services.BODY_MAX)


@extend_schema_field(OpenApiTypes.BINARY)
class FormFile(serializers.FileField):
    """A file part of a multipart/form-data body (the document says binary, not a URL)."""


def _attachments_field() -> serializers.ListField:
    return serializers.ListField(
        child=FormFile(),
        required=False,
        help_text="Files told by their content: PNG, JPEG, GIF, PDF, ZIP or plain text; "
        "a few per message (400 `too_many_attachments`, `attachment_type`), each of a "
        "limited size (413 `attachment_too_large`).",
    )


def _concern_id() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT)


class TicketFormSerializer(serializers.Serializer):
    """A new ticket with files: multipart/form-data, its values as form fields."""

    subject = serializers.CharField(max_length=services.SUBJECT_MAX)
    category = serializers.ChoiceField(choices=TICKET_CATEGORIES)
    message = serializers.CharField(max_length=services.BODY_MAX)
    subscription_id = _concern_id()
    license_key_id = _concern_id()
    proxy_server_id = _concern_id()
    attachments = _attachments_field()


class ReplyFormSerializer(serializers.Serializer):
    """A reply with files: multipart/form-data."""

    message = serializers.CharField(max_length=services.BODY_MAX)
    attachments = _attachments_field()


# --- endpoints -----------------------------------------------------------------------------


class TicketApiView(ApiView):
    members_write = True
    parser_classes = [JSONParser, MultiPartParser]

    def written(self, json_shape, form_shape) -> tuple[dict, list[services.Upload]]:
        """The body's values, and its files when it is a form (multipart/form-data)."""
        if self.request.content_type.startswith("multipart/form-data"):
            values = self.body(form_shape)
            return values, uploads_from(values.pop("attachments", []))
        return self.body(json_shape), []

    def ticket(self, ticket_id: int) -> Ticket:
        return get_object_or_404(
            selectors.ticket_queryset(account=self.account).select_related("author"),
            pk=ticket_id,
        )


def _detail(ticket: Ticket) -> dict:
    ticket.incidents_left = (
        selectors.incidents_left(subscription=ticket.subscription)
        if ticket.subscription_id
        else None
    )
    ticket.watcher_emails = [w.user.email for w in selectors.ticket_watchers(ticket=ticket)]
    ticket.public_messages = selectors.ticket_messages(ticket=ticket)
    return TicketDetailOutSerializer(ticket).data


class TicketListView(TicketApiView):
    @extend_schema(
        operation_id="tickets_list",
        tags=TICKETS,
        summary="List support tickets",
        description="The account's support tickets, filtered and sorted as on the Support "
        "Tickets page. Any active member may read.",
        parameters=[TicketQuerySerializer],
        responses={200: TicketPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        query = self.query(TicketQuerySerializer)
        qs = selectors.ticket_list(
            account=self.account,
            status=query["status"],
            category=query.get("category", ""),
            q=query.get("search", ""),
        )
        column, descending = SORTS[query["sort"]]
        page = Keyset(column, descending=descending).paginate(qs, request, query)
        return Response(
            {"results": TicketOutSerializer(page.items, many=True).data, "next": page.next}
        )

    @extend_schema(
        operation_id="tickets_create",
        tags=TICKETS,
        summary="Open a support ticket",
        description="Any active member may open one; they watch it. A technical ticket about "
        "a subscription with a limited number of support incidents uses one "
        "(409 `no_incidents_left` when none are left). With files: multipart/form-data.",
        request={
            "application/json": TicketInSerializer,
            "multipart/form-data": TicketFormSerializer,
        },
        responses={201: TicketDetailOutSerializer, **WRITE},
    )
    def post(self, request: Request, account_id: int) -> Response:
        values, uploads = self.written(TicketInSerializer, TicketFormSerializer)
        concern = {
            "subscription": (selectors.concern_subscriptions, "subscription_unknown"),
            "license_key": (selectors.concern_license_keys, "license_key_unknown"),
            "proxy_server": (selectors.concern_proxy_servers, "proxy_server_unknown"),
        }
        found = {}
        for name, (queryset, code) in concern.items():
            pk = values.get(f"{name}_id")
            if pk is None:
                continue
            found[name] = queryset(account=self.account).filter(pk=pk).first()
            if found[name] is None:
                raise SupportError(code)
        ticket = services.ticket_create(
            account=self.account,
            author=request.user,
            subject=values["subject"],
            category=values["category"],
            message=values["message"],
            uploads=uploads,
            channel=CHANNEL,
            **found,
        )
        return Response(_detail(ticket), status=status.HTTP_201_CREATED)


class TicketDetailView(TicketApiView):
    @extend_schema(
        operation_id="tickets_retrieve",
        tags=TICKETS,
        summary="A support ticket",
        description="With its public messages (never the support team's internal notes) "
        "and its watchers.",
        responses={200: TicketDetailOutSerializer, **READ_ONE},
    )
    def get(self, request: Request, account_id: int, ticket_id: int) -> Response:
        return Response(_detail(self.ticket(ticket_id)))


class TicketReplyView(TicketApiView):
    @extend_schema(
        operation_id="tickets_reply",
        tags=TICKETS,
        summary="Reply to a support ticket",
        description="Any active member may reply; the ticket becomes open again and its "
        "other watchers get one e-mail. A closed ticket answers 409 `ticket_closed`. "
        "With files: multipart/form-data.",
        request={"application/json": ReplyInSerializer, "multipart/form-data": ReplyFormSerializer},
        responses={201: MessageOutSerializer, **WRITE},
    )
    def post(self, request: Request, account_id: int, ticket_id: int) -> Response:
        values, uploads = self.written(ReplyInSerializer, ReplyFormSerializer)
        reply = services.ticket_reply(
            ticket=self.ticket(ticket_id),
            author=request.user,
            message=values["message"],
            uploads=uploads,
            channel=CHANNEL,
        )
        return Response(MessageOutSerializer(reply).data, status=status.HTTP_201_CREATED)


class TicketAttachmentView(TicketApiView):
    @extend_schema(
        operation_id="tickets_attachment_download",
        tags=TICKETS,
        summary="Download an attachment",
        description="A file of one of the ticket's public messages (their `attachments`), "
        "as a download of the type detected when it was added, whatever the request's "
        "Accept header says. Any active member may download.",
        responses={
            **{
                (200, content_type): OpenApiTypes.BINARY
                for content_type in attachments.CONTENT_TYPES
            },
            **READ_ONE,
        },
    )
    def get(
        self, request: Request, account_id: int, ticket_id: int, attachment_id: int
    ) -> FileResponse:
        attachment = selectors.attachment_get(
            account=self.account, ticket_pk=ticket_id, pk=attachment_id
        )
        if attachment is None:
            raise NotFound(_("No such attachment."))
        return attachments.attachment_response(attachment)

    def perform_content_negotiation(self, request, force=False):
        # The file answers any Accept; a refusal (401, 404) is JSON as everywhere.
        return super().perform_content_negotiation(request, force=True)
