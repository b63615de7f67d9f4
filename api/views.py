"""The administrators' REST API (/api/v1/): authorise, parse, call one service, answer.

Every write calls the same service as the page that does it, with channel "api", so
the same rules, locks and audit entries apply. Lists use keyset pagination.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import Account, Invitation, Membership
from api import serializers as s
from api.access import CHANNEL, ApiView
from api.errors import ApiConflict, error_responses
from api.pagination import Keyset
from proxies import selectors as proxy_selectors
from proxies import services as proxy_services
from proxies.models import ProxyServer, UsageReport
from proxies.selectors import COLUMNS_BY_KEY
from subscriptions import selectors as subscription_selectors
from subscriptions import services as subscription_services
from subscriptions.models import LicenseKey, Product, Subscription, license_key_visible_q

READ = error_responses(400, 401, 404)
READ_ONE = error_responses(401, 404)
WRITE = error_responses(400, 401, 403, 404, 413, 415)

ACCOUNTS = ["Accounts"]
SUBSCRIPTIONS = ["Subscriptions"]
KEYS = ["License keys"]
PROXIES = ["Proxy servers"]
MEMBERS = ["Members"]
INVITATIONS = ["Invitations"]
AUDIT = ["Audit log"]


# --- accounts -----------------------------------------------------------------------------


class AccountListView(ApiView):
    @extend_schema(
        operation_id="accounts_list",
        tags=ACCOUNTS,
        summary="The business accounts you can use",
        description="The business accounts where the token's owner is an active member, with "
        "their role. Use an account's `id` in the other paths.",
        parameters=[s.PageQuerySerializer],
        responses={200: s.AccountPageSerializer, **READ},
    )
    def get(self, request: Request) -> Response:
        query = self.query(s.PageQuerySerializer)
        qs = Membership.objects.select_related("account").filter(
            user=request.user,
            status=Membership.Status.ACTIVE,
            account__kind=Account.Kind.BUSINESS,
        )
        page = Keyset("account_id").paginate(qs, request, query)
        data = s.AccountOutSerializer(page.items, many=True).data
        return Response({"results": data, "next": page.next})


# --- subscriptions ------------------------------------------------------------------------


def _with_status(subscription: Subscription, today: date) -> Subscription:
    subscription.api_status = subscription.period(today=today)
    return subscription


class SubscriptionListView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="subscriptions_list",
        tags=SUBSCRIPTIONS,
        summary="List subscriptions",
        description="The account's subscriptions, filtered and sorted as on the Subscriptions "
        "page. Regular Members may read.",
        parameters=[s.SubscriptionQuerySerializer],
        responses={200: s.SubscriptionPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        query = self.query(s.SubscriptionQuerySerializer)
        today = timezone.localdate()
        product = None
        if query.get("product"):
            product = Product.objects.filter(code=query["product"]).first()
            if product is None:
                return Response(
                    {
                        "results": [],
                        "next": None,
                        "counts": {"active": 0, "ending": 0, "expired": 0, "all": 0},
                    }
                )
        qs, counts = subscription_selectors.subscription_list(
            account=self.account,
            today=today,
            search=query.get("search", ""),
            display=query["display"],
            product=product,
            viewer=self.membership,
        )
        column, descending = subscription_selectors.subscription_sort(query["sort"])
        page = Keyset(column, descending=descending).paginate(qs, request, query)
        data = s.SubscriptionOutSerializer(
            [_with_status(x, today) for x in page.items], many=True
        ).data
        return Response({"results": data, "next": page.next, "counts": counts})


def _subscription(view: ApiView, subscription_id: int) -> Subscription:
    qs = subscription_selectors.subscription_queryset(account=view.account, viewer=view.membership)
    return get_object_or_404(qs, pk=subscription_id)


class SubscriptionDetailView(ApiView):
    @extend_schema(
        operation_id="subscriptions_retrieve",
        tags=SUBSCRIPTIONS,
        summary="A subscription",
        description="With its contract details, pool and order history.",
        responses={200: s.SubscriptionDetailOutSerializer, **READ_ONE},
    )
    def get(self, request: Request, account_id: int, subscription_id: int) -> Response:
        today = timezone.localdate()
        subscription = _with_status(_subscription(self, subscription_id), today)
        table = proxy_selectors.license_key_table(subscription=subscription, today=today)
        subscription.pool_available = table.pool_available
        subscription.reservable = table.reservable
        return Response(s.SubscriptionDetailOutSerializer(subscription).data)


# --- license keys -------------------------------------------------------------------------


def _key_rows(subscription: Subscription, today: date) -> dict[int, object]:
    return proxy_selectors.license_key_table(subscription=subscription, today=today).by_id


def _key_row(subscription: Subscription, key_id: int) -> object:
    """The key's row as the table shows it; a key deleted by a request that committed
    after this one's change is gone (404), not a crash (tests/test_lock_order.py)."""
    row = _key_rows(subscription, timezone.localdate()).get(key_id)
    if row is None:
        raise NotFound()
    return row


class LicenseKeyListView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="license_keys_list",
        tags=KEYS,
        summary="List license keys",
        description="The subscription's live keys with quota, used and vacant, filtered and "
        "sorted as the License Keys table on the subscription's page (primary first, then by "
        "creation, unless `sort` says otherwise).",
        parameters=[s.LicenseKeyQuerySerializer],
        responses={200: s.LicenseKeyPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int, subscription_id: int) -> Response:
        query = self.query(s.LicenseKeyQuerySerializer)
        subscription = _subscription(self, subscription_id)
        table = proxy_selectors.license_key_table(
            subscription=subscription,
            today=timezone.localdate(),
            type=query.get("type", ""),
            search=query.get("search", ""),
            sort=query["sort"],
        )
        column, descending = proxy_selectors.license_key_sort(table.sort)
        keys = table.keys.filter(license_key_visible_q(self.membership))
        page = Keyset(column, descending=descending).paginate(keys, request, query)
        data = s.LicenseKeyOutSerializer(
            # A key created between the table's two reads waits for the next call.
            [table.by_id[k.pk] for k in page.items if k.pk in table.by_id],
            many=True,
            context=self.viewer(),
        ).data
        return Response({"results": data, "next": page.next})

    @extend_schema(
        operation_id="license_keys_create",
        tags=KEYS,
        summary="Create a sublicense",
        description="Create a Reserved or Dynamic sublicense (Account Administrators). The "
        "same rules as the page: reserved quotas together never exceed the subscription, a "
        "dynamic quota never exceeds it, an own expiry date is not after the subscription's.",
        request=s.SublicenseInSerializer,
        responses={201: s.LicenseKeyOutSerializer, **WRITE},
    )
    def post(self, request: Request, account_id: int, subscription_id: int) -> Response:
        subscription = _subscription(self, subscription_id)
        values = self.body(s.SublicenseInSerializer)
        key = subscription_services.sublicense_create(
            subscription=subscription, actor=request.user, channel=CHANNEL, **values
        )
        row = _key_row(subscription, key.pk)
        return Response(
            s.LicenseKeyOutSerializer(row, context=self.viewer()).data,
            status=status.HTTP_201_CREATED,
        )


class LicenseKeyDetailView(ApiView):
    key_scoped = True

    def _key(self, subscription_id: int, key_id: int) -> tuple[Subscription, LicenseKey]:
        subscription = _subscription(self, subscription_id)
        key = get_object_or_404(
            LicenseKey.objects.filter(subscription=subscription, deleted_at__isnull=True).filter(
                license_key_visible_q(self.membership)
            ),
            pk=key_id,
        )
        key.subscription = subscription
        return subscription, key

    @extend_schema(
        operation_id="license_keys_retrieve",
        tags=KEYS,
        summary="A license key",
        responses={200: s.LicenseKeyOutSerializer, **READ_ONE},
    )
    def get(self, request: Request, account_id: int, subscription_id: int, key_id: int):
        subscription, key = self._key(subscription_id, key_id)
        row = _key_row(subscription, key.pk)
        return Response(s.LicenseKeyOutSerializer(row, context=self.viewer()).data)

    @extend_schema(
        operation_id="license_keys_update",
        tags=KEYS,
        summary="Modify a sublicense",
        description="Change any of name, quota, type and expiry; the rest keep their values. "
        "The primary key cannot be modified (`primary_key_readonly`).",
        request=s.SublicenseUpdateSerializer,
        responses={200: s.LicenseKeyOutSerializer, **WRITE},
    )
    def patch(self, request: Request, account_id: int, subscription_id: int, key_id: int):
        subscription, key = self._key(subscription_id, key_id)
        values = self.body(s.SublicenseUpdateSerializer)
        merged = {
            "name": key.name,
            "quota": key.quota or 0,
            "type": key.type,
            "renew_with_subscription": key.renew_with_subscription,
            "expires_on": key.expires_on,
            **values,
        }
        subscription_services.sublicense_update(
            license_key=key, actor=request.user, channel=CHANNEL, **merged
        )
        row = _key_row(subscription, key.pk)
        return Response(s.LicenseKeyOutSerializer(row, context=self.viewer()).data)

    @extend_schema(
        operation_id="license_keys_delete",
        tags=KEYS,
        summary="Delete a sublicense",
        description="Its licenses go back to the pool and the installation that uses it is "
        "deactivated. The primary key cannot be deleted.",
        responses={204: OpenApiResponse(description="Deleted."), **WRITE},
    )
    def delete(self, request: Request, account_id: int, subscription_id: int, key_id: int):
        _, key = self._key(subscription_id, key_id)
        proxy_services.sublicense_delete(license_key=key, actor=request.user, channel=CHANNEL)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- proxy servers ------------------------------------------------------------------------


def _proxy(view: ApiView, proxy_id: int) -> ProxyServer:
    server = proxy_selectors.proxy_server_get(
        account=view.account, pk=proxy_id, viewer=view.membership
    )
    if server is None:
        raise NotFound(_("No such proxy server."))
    return server


class ProxyServerListView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="proxy_servers_list",
        tags=PROXIES,
        summary="List proxy servers",
        description="The Proxy Servers page's list: the Display filter, the search and the "
        "sort by any column (`-` for descending).",
        parameters=[s.ProxyServerQuerySerializer],
        responses={200: s.ProxyServerPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        query = self.query(s.ProxyServerQuerySerializer)
        qs = proxy_selectors.proxy_server_list(
            account=self.account,
            today=timezone.localdate(),
            display=query["display"],
            q=query.get("q", ""),
            sort=query["sort"],
            viewer=self.membership,
        )
        column = COLUMNS_BY_KEY[query["sort"].lstrip("-")]
        keyset = Keyset(column.sort, descending=query["sort"].startswith("-"))
        page = keyset.paginate(qs, request, query)
        servers = proxy_selectors.proxy_servers_over_limit(
            list(page.items), today=timezone.localdate()
        )
        data = s.ProxyServerOutSerializer(servers, many=True).data
        return Response({"results": data, "next": page.next})


class ProxyServerDetailView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="proxy_servers_retrieve",
        tags=PROXIES,
        summary="A proxy server",
        responses={200: s.ProxyServerOutSerializer, **READ_ONE},
    )
    def get(self, request: Request, account_id: int, proxy_id: int) -> Response:
        server = _proxy(self, proxy_id)
        proxy_selectors.proxy_servers_over_limit([server], today=timezone.localdate())
        return Response(s.ProxyServerOutSerializer(server).data)


class ProxyServerUsageView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="proxy_servers_usage",
        tags=PROXIES,
        summary="A proxy server's usage reports",
        description="Newest first, optionally within dates.",
        parameters=[s.UsageQuerySerializer],
        responses={200: s.UsageReportPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int, proxy_id: int) -> Response:
        query = self.query(s.UsageQuerySerializer)
        server = _proxy(self, proxy_id)
        qs: QuerySet[UsageReport] = UsageReport.objects.filter(proxy_server=server)
        if query.get("since"):
            qs = qs.filter(date__gte=query["since"])
        if query.get("until"):
            qs = qs.filter(date__lte=query["until"])
        page = Keyset("date", descending=True).paginate(qs, request, query)
        data = s.UsageReportOutSerializer(page.items, many=True).data
        return Response({"results": data, "next": page.next})


class ProxyServerDeactivateView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="proxy_servers_deactivate",
        tags=PROXIES,
        summary="Deactivate a proxy server",
        description="Releases its license key at once; the installation learns it at its "
        "next refresh. 409 `already_deactivated` when there is nothing to do.",
        request=None,
        responses={200: s.ProxyServerOutSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, account_id: int, proxy_id: int) -> Response:
        server = _proxy(self, proxy_id)
        done = proxy_services.proxy_servers_deactivate(
            account=self.account, ids=[server.pk], actor=request.user, channel=CHANNEL
        )
        if not done:
            raise ApiConflict(
                _("This proxy server is already deactivated."), code="already_deactivated"
            )
        [server] = proxy_selectors.proxy_servers_over_limit(
            [_proxy(self, proxy_id)], today=timezone.localdate()
        )
        return Response(s.ProxyServerOutSerializer(server).data)


class ProxyServerBlacklistView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="proxy_servers_blacklist",
        tags=PROXIES,
        summary="Blacklist a proxy server",
        description="Deactivates it as `deactivate` does and refuses any later activation of "
        "its installation (its id, or its public key) with any key of the account, online or "
        "offline (`installation_blacklisted`). 409 `already_blacklisted`.",
        request=None,
        responses={200: s.ProxyServerOutSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, account_id: int, proxy_id: int) -> Response:
        server = _proxy(self, proxy_id)
        proxy_services.proxy_server_blacklist(
            proxy_server=server, actor=request.user, channel=CHANNEL
        )
        return _proxy_answer(self, proxy_id)


class ProxyServerUnblacklistView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="proxy_servers_unblacklist",
        tags=PROXIES,
        summary="Lift a proxy server's blacklisting",
        description="The installation may activate again; it stays deactivated until it "
        "does. 409 `not_blacklisted`.",
        request=None,
        responses={200: s.ProxyServerOutSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, account_id: int, proxy_id: int) -> Response:
        server = _proxy(self, proxy_id)
        proxy_services.proxy_server_unblacklist(
            proxy_server=server, actor=request.user, channel=CHANNEL
        )
        return _proxy_answer(self, proxy_id)


class ProxyServerMoveView(ApiView):
    key_scoped = True

    @extend_schema(
        operation_id="proxy_servers_move",
        tags=PROXIES,
        summary="Move a proxy server to another license key",
        description="The licenses follow the pool rules: 400 `move_over_quota` or "
        "`move_over_pool` when the key has no room, `move_other_product`, "
        "`move_key_unavailable`, `move_offline_not_allowed`, `move_same_key`; 409 "
        "`move_key_in_use`, `move_not_active`. 404 for a key of another account. The usage "
        "history stays with the server; an online proxy learns its new key at its next "
        "refresh.",
        request=s.ProxyServerMoveInSerializer,
        responses={200: s.ProxyServerOutSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, account_id: int, proxy_id: int) -> Response:
        server = _proxy(self, proxy_id)
        body = self.body(s.ProxyServerMoveInSerializer)
        key = proxy_selectors.account_license_key_get(
            account=self.account, pk=body["license_key_id"], viewer=self.membership
        )
        if key is None:
            raise NotFound(_("No such license key."))
        proxy_services.proxy_server_move(
            proxy_server=server, license_key=key, actor=request.user, channel=CHANNEL
        )
        return _proxy_answer(self, proxy_id)


def _proxy_answer(view: ApiView, proxy_id: int) -> Response:
    [server] = proxy_selectors.proxy_servers_over_limit(
        [_proxy(view, proxy_id)], today=timezone.localdate()
    )
    return Response(s.ProxyServerOutSerializer(server).data)


# --- members ------------------------------------------------------------------------------


def _member(view: ApiView, member_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "account"), pk=member_id, account=view.account
    )


class MemberListView(ApiView):
    @extend_schema(
        operation_id="members_list",
        tags=MEMBERS,
        summary="List members",
        description="Everyone in the business account, active and blocked, filtered and "
        "sorted as on the Business Account Users page (by name unless `sort` says otherwise).",
        parameters=[s.MemberQuerySerializer],
        responses={200: s.MemberPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        query = self.query(s.MemberQuerySerializer)
        qs = account_selectors.membership_list(
            account=self.account,
            search=query.get("search", ""),
            role=query.get("role", ""),
            status=query.get("status", ""),
            sort=query["sort"],
        )
        column, descending = account_selectors.member_sort(query["sort"])
        page = Keyset(column, descending=descending).paginate(qs, request, query)
        data = s.MemberOutSerializer(
            page.items, many=True, context={"show_notes": self.membership.is_admin}
        ).data
        return Response({"results": data, "next": page.next})


class MemberDetailView(ApiView):
    admin_only = True

    @extend_schema(
        operation_id="members_retrieve",
        tags=MEMBERS,
        summary="A member",
        responses={200: s.MemberOutSerializer, **READ_ONE},
    )
    def get(self, request: Request, account_id: int, member_id: int) -> Response:
        return Response(s.MemberOutSerializer(_member(self, member_id)).data)

    @extend_schema(
        operation_id="members_update",
        tags=MEMBERS,
        summary="Change a member's role or notes",
        description="The last active Account Administrator cannot become a Regular Member "
        "(`last_admin_demote`). Takes effect on the member's next request.",
        request=s.MemberUpdateSerializer,
        responses={200: s.MemberOutSerializer, **WRITE},
    )
    def patch(self, request: Request, account_id: int, member_id: int) -> Response:
        membership = _member(self, member_id)
        values = self.body(s.MemberUpdateSerializer)
        updated = account_services.membership_update(
            membership=membership,
            actor=request.user,
            role=values.get("role", membership.role),
            notes=values.get("notes", membership.notes),
            channel=CHANNEL,
        )
        return Response(s.MemberOutSerializer(updated).data)

    @extend_schema(
        operation_id="members_delete",
        tags=MEMBERS,
        summary="Remove a member",
        description="They get an email and can be invited again. Not yourself "
        "(`self_delete`), not the last administrator (`last_admin_delete`).",
        responses={204: OpenApiResponse(description="Removed."), **WRITE},
    )
    def delete(self, request: Request, account_id: int, member_id: int) -> Response:
        membership = _member(self, member_id)
        account_services.membership_delete(
            membership=membership, actor=request.user, channel=CHANNEL
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberBlockView(ApiView):
    @extend_schema(
        operation_id="members_block",
        tags=MEMBERS,
        summary="Block a member",
        description="Their access ends at their next request; they get an email.",
        request=None,
        responses={200: s.MemberOutSerializer, **WRITE},
    )
    def post(self, request: Request, account_id: int, member_id: int) -> Response:
        membership = account_services.membership_block(
            membership=_member(self, member_id), actor=request.user, channel=CHANNEL
        )
        return Response(s.MemberOutSerializer(membership).data)


class MemberUnblockView(ApiView):
    @extend_schema(
        operation_id="members_unblock",
        tags=MEMBERS,
        summary="Unblock a member",
        description="They get their access back in the role they had.",
        request=None,
        responses={200: s.MemberOutSerializer, **WRITE},
    )
    def post(self, request: Request, account_id: int, member_id: int) -> Response:
        membership = account_services.membership_unblock(
            membership=_member(self, member_id), actor=request.user, channel=CHANNEL
        )
        return Response(s.MemberOutSerializer(membership).data)


# --- invitations --------------------------------------------------------------------------


class InvitationListView(ApiView):
    admin_only = True

    @extend_schema(
        operation_id="invitations_list",
        tags=INVITATIONS,
        summary="List invitations",
        description="By e-mail address, as the Business Account Users page lists the pending ones.",
        parameters=[s.InvitationQuerySerializer],
        responses={200: s.InvitationPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        query = self.query(s.InvitationQuerySerializer)
        qs = account_selectors.invitation_list(account=self.account, status=query.get("status", ""))
        page = Keyset(account_selectors.INVITATION_SORT).paginate(qs, request, query)
        data = s.InvitationOutSerializer(page.items, many=True).data
        return Response({"results": data, "next": page.next})

    @extend_schema(
        operation_id="invitations_create",
        tags=INVITATIONS,
        summary="Invite people",
        description="Each new address gets an email with a link to join as a Regular Member. "
        "Members and people already invited are reported, not mailed again.",
        request=s.InviteInSerializer,
        responses={201: s.InviteOutSerializer, **WRITE},
    )
    def post(self, request: Request, account_id: int) -> Response:
        values = self.body(s.InviteInSerializer)
        outcome = account_services.invitation_create(
            account=self.account, actor=request.user, emails=values["emails"], channel=CHANNEL
        )
        data = s.InviteOutSerializer(outcome).data
        return Response(data, status=status.HTTP_201_CREATED)


class InvitationDetailView(ApiView):
    admin_only = True

    def _invitation(self, invitation_id: int) -> Invitation:
        return get_object_or_404(
            Invitation.objects.select_related("account", "invited_by", "outbox_email"),
            pk=invitation_id,
            account=self.account,
        )

    @extend_schema(
        operation_id="invitations_retrieve",
        tags=INVITATIONS,
        summary="An invitation",
        responses={200: s.InvitationOutSerializer, **READ_ONE},
    )
    def get(self, request: Request, account_id: int, invitation_id: int) -> Response:
        return Response(s.InvitationOutSerializer(self._invitation(invitation_id)).data)

    @extend_schema(
        operation_id="invitations_revoke",
        tags=INVITATIONS,
        summary="Withdraw an invitation",
        description="Its link stops working. 409 `invitation_not_pending` if it was used or "
        "withdrawn already.",
        responses={204: OpenApiResponse(description="Withdrawn."), **WRITE, **error_responses(409)},
    )
    def delete(self, request: Request, account_id: int, invitation_id: int) -> Response:
        account_services.invitation_revoke(
            invitation=self._invitation(invitation_id), actor=request.user, channel=CHANNEL
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- audit log ----------------------------------------------------------------------------


class AuditLogView(ApiView):
    admin_only = True

    @extend_schema(
        operation_id="audit_log_list",
        tags=AUDIT,
        summary="The audit log",
        description="Who did what, when, through which channel; newest first.",
        parameters=[s.AuditQuerySerializer],
        responses={200: s.AuditEntryPageSerializer, **READ},
    )
    def get(self, request: Request, account_id: int) -> Response:
        query = self.query(s.AuditQuerySerializer)
        qs = account_selectors.audit_log_list(
            account=self.account,
            action=query.get("action", ""),
            person=query.get("person", ""),
            channel=query.get("channel", ""),
            target_type=query.get("target_type", ""),
            since=query.get("since"),
            until=query.get("until"),
        )
        page = Keyset("created_at", descending=True).paginate(qs, request, query)
        data = s.AuditEntryOutSerializer(page.items, many=True).data
        return Response({"results": data, "next": page.next})
