"""One error shape for the whole administrators' API:
``{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}``.

Every app's domain error (core.errors.DomainError and its catalogs) is mapped here
once, the way core.errors.form_error_add maps it for the pages; DRF's own refusals get
the same shape.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, error_body


class ApiErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. quota_exceeded.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per input field (dotted for nested ones), when the input was at fault.",
    )


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorBodySerializer()


class ApiConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("This conflicts with the current state.")


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def _body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    """core.errors.error_body, with `fields` only where there are some."""
    return error_body(code, message, **({"fields": fields} if fields else {}))


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else None
        return Response(_body(exc.code, exc.message, fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let it be a 500 and reach the logs
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = _body("invalid", _("The request is not valid; see fields."), fields)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
        message = str(detail) if not isinstance(detail, dict | list) else str(_flatten(detail))
        response.data = _body(code, message)
    return response


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, all in the one error shape."""
    descriptions = {
        400: "Invalid input (`invalid`, with `fields`) or refused by a rule "
        "(e.g. `quota_reserved_exceeded`, `subscription_expired`, `last_admin_demote`).",
        401: "No token, a malformed header, or a token that is unknown or revoked "
        "(`not_authenticated`, `authentication_failed`).",
        403: "The token's owner is a Regular Member of this account: read-only "
        "(`permission_denied`, `not_admin`).",
        404: "No such object in this account, or an account the token's owner is not an "
        "active member of (`not_found`), or a `cursor` the list did not give out "
        "(`invalid_cursor`).",
        405: "Method not allowed.",
        409: "Conflicts with the current state (e.g. `already_deactivated`, "
        "`invitation_not_pending`).",
        413: "The body is larger than the portal reads (`request_too_large`).",
        415: "The body is not JSON (`unsupported_media_type`).",
    }
    return {
        code: OpenApiResponse(ApiErrorSerializer, description=descriptions[code])
        for code in statuses
    }
