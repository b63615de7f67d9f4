"""Which account a request is about, and what the token's owner may do there.

Every endpoint names its account in the path (/api/v1/accounts/<account_id>/...).
The owner's membership is read from the database at each request: an account they
are not an active member of answers 404 (the API never tells which accounts exist),
and a Regular Member may read but not write (403), as on the pages.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import permissions
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Account, AuditLog, Membership
from accounts.services import AccountAdminRequired
from api.authentication import BearerTokenAuthentication
from api.errors import api_exception_handler

CHANNEL = AuditLog.Channel.API


def membership_for(*, user, account_id: int) -> Membership | None:
    """The user's active membership of a business account, fresh from the database."""
    return (
        Membership.objects.select_related("account")
        .with_license_key_count()
        .filter(
            user=user,
            account_id=account_id,
            status=Membership.Status.ACTIVE,
            account__kind=Account.Kind.BUSINESS,
        )
        .first()
    )


class AccountRolePermission(permissions.BasePermission):
    """Active members read; only Account Administrators write."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        account_id = view.kwargs.get("account_id")
        if account_id is None:
            return True
        membership = membership_for(user=request.user, account_id=account_id)
        if membership is None:
            raise NotFound(_("No such account."))
        view.membership = membership
        view.account = membership.account
        if membership.is_license_admin:
            # A License Administrator reaches only the endpoints about license keys and
            # their proxy servers (`key_scoped`), and there only their keys: the rest of
            # the account does not exist for them. Writes go on to the services, which
            # check the key (subscriptions.services.license_key_manage_check).
            if not getattr(view, "key_scoped", False):
                raise NotFound(_("No such account."))
            return True
        # What the pages show to administrators only (audit log, invitations, a member's
        # notes) is theirs alone here too; the refusal is the services' own (403, not_admin).
        reading = request.method in permissions.SAFE_METHODS and not getattr(
            view, "admin_only", False
        )
        if not (reading or membership.is_admin or getattr(view, "members_write", False)):
            raise AccountAdminRequired("not_admin")
        return True


class AsciiJSONRenderer(JSONRenderer):
    """Escape non-ASCII: an error message that echoes a lone surrogate from the input
    can then still be rendered (UTF-8 cannot encode it)."""

    ensure_ascii = True


class ApiView(APIView):
    """The base of every administrators' API endpoint."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated, AccountRolePermission]
    renderer_classes = [AsciiJSONRenderer]
    # True: even reading needs an Account Administrator, as on the pages.
    admin_only = False
    # True: any active member may write too (support tickets are everyone's).
    members_write = False
    # True: about license keys and their proxy servers, which a License Administrator
    # reaches for the keys they administer (license_key_visible_q).
    key_scoped = False
    throttle_classes: list = []
    account: Account
    membership: Membership

    def get_exception_handler(self):
        return api_exception_handler

    def query(self, serializer_class) -> dict[str, Any]:
        """Validated query parameters (400 with `fields` when they are not).

        Read as plain values, not as an HTML form: an empty `status=` or `page_size=` is
        refused as the OpenAPI document says, not taken for an absent parameter."""
        serializer = serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def viewer(self) -> dict[str, Any]:
        """Serializer context naming who looks, for license_key_shown."""
        return {"viewer": self.membership}

    def body(self, serializer_class, **kwargs) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
