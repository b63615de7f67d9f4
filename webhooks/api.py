"""The administrators' REST API for webhooks (/api/v1/accounts/{id}/webhooks/...).

Built on the API app's base view: the same bearer tokens, the same fresh membership
check (Account Administrators only, reading included, as on the pages), the same
error shape. Every write calls the same service as the page that does it.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import CHANNEL, ApiView
from api.errors import error_responses
from api.pagination import Keyset
from webhooks import selectors, services
from webhooks import serializers as s
from webhooks.models import Delivery, Endpoint

READ = error_responses(400, 401, 403, 404)
READ_ONE = error_responses(401, 403, 404)
WRITE = error_responses(400, 401, 403, 404, 415)
TAGS = ["Webhooks"]


class WebhookApiView(ApiView):
    admin_only = True

    def endpoint(self, endpoint_id: int) -> Endpoint:
        return get_object_or_404(
            Endpoint.objects.select_related("account"), pk=endpoint_id, account=self.account
        )


class EndpointListView(WebhookApiView):
    @extend_schema(
        operation_id="webhooks_list",
        tags=TAGS,
        summary="List webhook endpoints",
        parameters=[s.PageQuerySerializer],
        responses={200: s.EndpointPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        query = self.query(s.PageQuerySerializer)
        qs = Endpoint.objects.filter(account=self.account)
        page = Keyset("created_at").paginate(qs, request, query)
        return Response(
            {"results": s.EndpointOutSerializer(page.items, many=True).data, "next": page.next}
        )

    @extend_schema(
        operation_id="webhooks_create",
        tags=TAGS,
        summary="Add a webhook endpoint",
        description="The answer carries the signing secret: it is never shown again. The URL "
        "must be https:// and may not point at a private, loopback, link-local or metadata "
        "address. The event bodies are described by the `WebhookEvent` schema.",
        request=s.EndpointInSerializer,
        responses={201: s.EndpointCreatedSerializer, **WRITE},
    )
    def post(self, request: Request, account_id: int) -> Response:
        values = self.body(s.EndpointInSerializer)
        new = services.endpoint_create(
            account=self.account, actor=request.user, channel=CHANNEL, **values
        )
        data = {**s.EndpointOutSerializer(new.endpoint).data, "secret": new.secret}
        return Response(data, status=status.HTTP_201_CREATED)


class EndpointDetailView(WebhookApiView):
    @extend_schema(
        operation_id="webhooks_retrieve",
        tags=TAGS,
        summary="A webhook endpoint",
        responses={200: s.EndpointOutSerializer, **READ_ONE},
    )
    def get(self, request: Request, account_id: int, endpoint_id: int) -> Response:
        return Response(s.EndpointOutSerializer(self.endpoint(endpoint_id)).data)

    @extend_schema(
        operation_id="webhooks_update",
        tags=TAGS,
        summary="Change a webhook endpoint",
        description="Send only what changes. Enabling a disabled endpoint resumes the "
        "deliveries it kept.",
        request=s.EndpointPatchSerializer,
        responses={200: s.EndpointOutSerializer, **WRITE},
    )
    def patch(self, request: Request, account_id: int, endpoint_id: int) -> Response:
        endpoint = self.endpoint(endpoint_id)
        values = self.body(s.EndpointPatchSerializer)
        current = {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "enabled": endpoint.enabled,
        }
        updated = services.endpoint_update(
            endpoint=endpoint, actor=request.user, channel=CHANNEL, **{**current, **values}
        )
        return Response(s.EndpointOutSerializer(updated).data)

    @extend_schema(
        operation_id="webhooks_delete",
        tags=TAGS,
        summary="Delete a webhook endpoint",
        description="Its deliveries and their log go with it.",
        responses={204: OpenApiResponse(description="Deleted."), **WRITE},
    )
    def delete(self, request: Request, account_id: int, endpoint_id: int) -> Response:
        services.endpoint_delete(
            endpoint=self.endpoint(endpoint_id), actor=request.user, channel=CHANNEL
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateView(WebhookApiView):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        tags=TAGS,
        summary="Rotate the signing secret",
        description="The previous secret keeps signing beside the new one for 24 hours: "
        "`webhook-signature` carries both signatures until `previous_secret_expires_at`.",
        request=None,
        responses={200: s.SecretOutSerializer, **WRITE},
    )
    def post(self, request: Request, account_id: int, endpoint_id: int) -> Response:
        new = services.endpoint_secret_rotate(
            endpoint=self.endpoint(endpoint_id), actor=request.user, channel=CHANNEL
        )
        return Response(
            s.SecretOutSerializer(
                {
                    "secret": new.secret,
                    "previous_secret_expires_at": new.endpoint.previous_secret_expires_at,
                }
            ).data
        )


class EndpointTestView(WebhookApiView):
    @extend_schema(
        operation_id="webhooks_send_test",
        tags=TAGS,
        summary="Send a test event",
        description="A `webhook.test` event to this endpoint only; follow it in its deliveries.",
        request=None,
        responses={202: s.DeliveryOutSerializer, **WRITE, **error_responses(409)},
    )
    def post(self, request: Request, account_id: int, endpoint_id: int) -> Response:
        delivery = services.endpoint_test_send(
            endpoint=self.endpoint(endpoint_id), actor=request.user, channel=CHANNEL
        )
        return Response(s.DeliveryOutSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class EndpointRedeliverView(WebhookApiView):
    @extend_schema(
        operation_id="webhooks_redeliver_failed",
        tags=TAGS,
        summary="Redeliver failed events",
        description="Every failed delivery of the endpoint created since `since` is sent "
        "again, with a new three-day round of retries.",
        request=s.RedeliverInSerializer,
        responses={202: s.RedeliverOutSerializer, **WRITE, **error_responses(409)},
    )
    def post(self, request: Request, account_id: int, endpoint_id: int) -> Response:
        values = self.body(s.RedeliverInSerializer)
        count = services.deliveries_redeliver(
            endpoint=self.endpoint(endpoint_id),
            actor=request.user,
            since=values["since"],
            channel=CHANNEL,
        )
        return Response({"count": count}, status=status.HTTP_202_ACCEPTED)


class DeliveryListView(WebhookApiView):
    @extend_schema(
        operation_id="webhooks_deliveries_list",
        tags=TAGS,
        summary="The delivery log of an endpoint",
        description="Newest first.",
        parameters=[s.DeliveryQuerySerializer],
        responses={200: s.DeliveryPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int, endpoint_id: int) -> Response:
        endpoint = self.endpoint(endpoint_id)
        query = self.query(s.DeliveryQuerySerializer)
        qs = Delivery.objects.filter(endpoint=endpoint).select_related("event")
        if query.get("status"):
            qs = qs.filter(status=query["status"])
        page = Keyset("id", descending=True).paginate(qs, request, query)
        return Response(
            {"results": s.DeliveryOutSerializer(page.items, many=True).data, "next": page.next}
        )


class DeliveryDetailView(WebhookApiView):
    @extend_schema(
        operation_id="webhooks_deliveries_retrieve",
        tags=TAGS,
        summary="A delivery, its event body and every attempt",
        responses={200: s.DeliveryDetailSerializer, **READ_ONE},
    )
    def get(self, request: Request, account_id: int, endpoint_id: int, delivery_id: int):
        delivery = selectors.delivery_get(endpoint=self.endpoint(endpoint_id), pk=delivery_id)
        if delivery is None:
            raise NotFound(_("No such delivery of this endpoint."))
        return Response(s.DeliveryDetailSerializer(delivery).data)


class DeliveryRedeliverView(WebhookApiView):
    @extend_schema(
        operation_id="webhooks_deliveries_redeliver",
        tags=TAGS,
        summary="Redeliver one event",
        description="409 `delivery_pending` while it is being sent.",
        request=None,
        responses={202: s.DeliveryOutSerializer, **WRITE, **error_responses(409)},
    )
    def post(self, request: Request, account_id: int, endpoint_id: int, delivery_id: int):
        endpoint = self.endpoint(endpoint_id)
        delivery = get_object_or_404(Delivery, pk=delivery_id, endpoint=endpoint)
        services.deliveries_redeliver(
            endpoint=endpoint, actor=request.user, delivery=delivery, channel=CHANNEL
        )
        delivery.refresh_from_db()
        return Response(s.DeliveryOutSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
