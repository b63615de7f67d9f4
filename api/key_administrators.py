"""License Administrators of a key over the REST API (the Manage Users page's Add and
Remove): Account Administrators only, through the same services as the page."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Membership
from api.access import CHANNEL, ApiView
from api.errors import error_responses
from api.serializers import JsonInteger
from subscriptions import selectors, services
from subscriptions.models import LicenseKey

TAGS = ["License keys"]


class KeyAdministratorOutSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(source="pk")
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.get_full_name")


class KeyAdministratorListSerializer(serializers.Serializer):
    results = KeyAdministratorOutSerializer(many=True)


class KeyAdministratorsInSerializer(serializers.Serializer):
    member_ids = serializers.ListField(
        child=JsonInteger(min_value=1),
        min_length=1,
        max_length=100,
        help_text="Members (`/members/` ids) to make License Administrators of the key.",
    )


class KeyAdministratorsApiView(ApiView):
    # Like the page, for Account Administrators only, reading included.
    admin_only = True

    def license_key(self, subscription_id: int, key_id: int) -> LicenseKey:
        key = get_object_or_404(
            LicenseKey.objects.select_related("subscription__account"),
            pk=key_id,
            subscription_id=subscription_id,
            subscription__account=self.account,
            deleted_at__isnull=True,
        )
        return key

    def listed(self, key: LicenseKey) -> Response:
        administrators = selectors.license_key_administrator_list(license_key=key)
        return Response({"results": KeyAdministratorOutSerializer(administrators, many=True).data})


class KeyAdministratorListView(KeyAdministratorsApiView):
    @extend_schema(
        operation_id="license_key_administrators_list",
        tags=TAGS,
        summary="A key's License Administrators",
        description="The members who see and manage this key, its proxy servers and its "
        "usage, and nothing else of the account.",
        responses={
            200: KeyAdministratorListSerializer,
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request: Request, account_id: int, subscription_id: int, key_id: int):
        return self.listed(self.license_key(subscription_id, key_id))

    @extend_schema(
        operation_id="license_key_administrators_add",
        tags=TAGS,
        summary="Add License Administrators",
        description="Make Regular Members License Administrators of the key; those who "
        "are already are left as they are. Account Administrators "
        "(`license_admin_is_account_admin`) and blocked members are refused.",
        request=KeyAdministratorsInSerializer,
        responses={
            200: KeyAdministratorListSerializer,
            **error_responses(400, 401, 403, 404, 415),
        },
    )
    def post(self, request: Request, account_id: int, subscription_id: int, key_id: int):
        key = self.license_key(subscription_id, key_id)
        values = self.body(KeyAdministratorsInSerializer)
        memberships = list(
            Membership.objects.filter(account=self.account, pk__in=values["member_ids"])
        )
        if len(memberships) != len(set(values["member_ids"])):
            raise services.SubscriptionError("license_admin_not_member")
        services.license_key_administrators_add(
            license_key=key, memberships=memberships, actor=request.user, channel=CHANNEL
        )
        return self.listed(key)


class KeyAdministratorDetailView(KeyAdministratorsApiView):
    def administrator(self, key: LicenseKey, member_id: int) -> Membership:
        administrators = selectors.license_key_administrator_list(license_key=key)
        membership = next((m for m in administrators if m.pk == member_id), None)
        if membership is None:
            raise Http404
        return membership

    @extend_schema(
        operation_id="license_key_administrators_retrieve",
        tags=TAGS,
        summary="A License Administrator of the key",
        responses={200: KeyAdministratorOutSerializer, **error_responses(401, 403, 404)},
    )
    def get(
        self,
        request: Request,
        account_id: int,
        subscription_id: int,
        key_id: int,
        administrator_id: int,
    ):
        key = self.license_key(subscription_id, key_id)
        return Response(
            KeyAdministratorOutSerializer(self.administrator(key, administrator_id)).data
        )

    @extend_schema(
        operation_id="license_key_administrators_remove",
        tags=TAGS,
        summary="Remove a License Administrator",
        description="Takes effect at the member's next request, on pages and API tokens.",
        responses={204: OpenApiResponse(description="Removed."), **error_responses(401, 403, 404)},
    )
    def delete(
        self,
        request: Request,
        account_id: int,
        subscription_id: int,
        key_id: int,
        administrator_id: int,
    ):
        key = self.license_key(subscription_id, key_id)
        membership = self.administrator(key, administrator_id)
        services.license_key_administrator_remove(
            license_key=key, membership=membership, actor=request.user, channel=CHANNEL
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
