"""The licensing REST API the proxies talk to (``pmm-proxy``'s online channel).

POST ``activate/``, ``refresh/``, ``usage/``, ``deactivate/`` take ``{"message": <armored
request>}`` and answer 200 ``{"message": <armored answer>}``; a refusal answers 4xx
``{"error": {"code", "message"}}``. GET ``public-keys/`` publishes the portal's keys.

There is no session, cookie or CSRF here: the signature is the authentication. Each
endpoint is throttled per client address and per license key or installation
(licensing/throttling.py).

What every proxy sends — a GET of the public keys, or a POST of ``application/json``
whose ``message`` is ASCII text, asking for JSON or anything — takes a short path
through each view (``_LicensingView.dispatch``): the same checks, counters, service
and answer bytes as DRF's, without DRF's request, negotiation, serializers and
response rendering around them (a third of the CPU of a public-keys request). Anything
else — another method or media type, a query string, a body that does not parse or
validate, a throttled request — goes through DRF's own dispatch, which answers exactly
as before (and counts the request once: a request counted on the short path carries
its verdict along).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.json import strict_constant
from rest_framework.validators import ProhibitSurrogateCharactersValidator
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from licensing import services, signing
from licensing.client import envelope
from licensing.throttling import ClientAddressThrottle, LicensingThrottle, counted

# --- shapes -------------------------------------------------------------------------------


class _NoSurrogates(ProhibitSurrogateCharactersValidator):
    """DRF's check, which reads a message character by character in Python (about 0.1
    ms for an activation), skipped for ASCII text: an armored message is ASCII."""

    def __call__(self, value: str) -> None:
        if not value.isascii():
            super().__call__(value)


class ArmoredMessageField(serializers.CharField):
    """Text only: a number or a list is not a message, even if it could be printed as one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            _NoSurrogates() if isinstance(v, ProhibitSurrogateCharactersValidator) else v
            for v in self.validators
        ]

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class MessageSerializer(serializers.Serializer):
    message = ArmoredMessageField(
        max_length=envelope.MAX_MESSAGE_CHARS,
        trim_whitespace=False,
        help_text="An ASCII-armored signed licensing message "
        "(-----BEGIN MYACCOUNT LICENSING MESSAGE----- ...).",
    )


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. key_in_use.")
    message = serializers.CharField(help_text="What went wrong, for people.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class PublicKeySerializer(serializers.Serializer):
    kid = serializers.CharField(help_text="Key id named by every message signed with it.")
    public_key = serializers.CharField(help_text="Ed25519 public key, SubjectPublicKeyInfo PEM.")
    algorithm = serializers.ChoiceField(choices=["Ed25519"])


class PublicKeysSerializer(serializers.Serializer):
    keys = PublicKeySerializer(many=True, help_text="Every valid key; the last one signs.")


# --- errors -------------------------------------------------------------------------------


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return " ".join(f"{field}: {_flatten(value)}" for field, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def licensing_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every refusal as ``{"error": {"code", "message"}}``; Retry-After kept on 429."""
    if isinstance(exc, DomainError):
        return Response({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        code = "invalid_request"
        message = _("The request is malformed: {detail}").format(detail=_flatten(exc.detail))
    elif isinstance(exc, APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        message = _flatten(exc.detail)
    else:
        code, message = "error", _flatten(response.data)
    response.data = {"error": {"code": code, "message": message}}
    return response


# --- views --------------------------------------------------------------------------------


# The short path (see the module): what it answers is what DRF's JSONRenderer renders.
JSON = "application/json"
_render = JSONRenderer().render
# Accept headers under which DRF picks its only renderer, JSON, with no parameters.
_PLAIN_ACCEPT = frozenset({None, "*/*", JSON})


def _json_response(data: Any, *, status: int = 200, allow: str) -> HttpResponse:
    response = HttpResponse(_render(data), content_type=JSON, status=status)
    response["Allow"] = allow
    return response


def _plain(request: HttpRequest) -> bool:
    """No query string (DRF reads ``?format=``) and an Accept header DRF answers with
    plain JSON."""
    meta = request.META
    return not meta.get("QUERY_STRING") and meta.get("HTTP_ACCEPT") in _PLAIN_ACCEPT


def _message_of(request: HttpRequest) -> str | None:
    """The ``message`` of a JSON body, when DRF's parser and MessageSerializer would
    take it as it is (else None: DRF's path says what is wrong)."""
    if request.META.get("CONTENT_TYPE") != JSON:
        return None
    try:
        data = json.loads(request.body.decode("utf-8"), parse_constant=strict_constant)
    except Exception:  # RequestDataTooBig, bad UTF-8 or JSON, too deep: DRF's answer
        return None
    text = data.get("message") if isinstance(data, dict) else None
    if (
        not isinstance(text, str)
        or not text
        or len(text) > envelope.MAX_MESSAGE_CHARS
        or not text.isascii()
        or "\x00" in text
    ):
        return None
    return text


class _LicensingView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LicensingThrottle]

    def get_exception_handler(self):
        return licensing_exception_handler

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if _plain(request):
            response = self.short_path(request)
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def short_path(self, request: HttpRequest) -> HttpResponse | None:
        """The answer without DRF around it, or None for DRF's dispatch."""
        return None


ERROR_RESPONSES = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Malformed body, or a message that is not a valid, correctly signed "
        "licensing message of the right type (codes: invalid_request, not_an_envelope, "
        "bad_encoding, unsupported_version, unknown_type, wrong_type, bad_signature, "
        "not_yet_valid, expired).",
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Refused by a rule (key_expired, key_not_started, offline_not_allowed, "
        "wrong_installation_key).",
    ),
    404: OpenApiResponse(
        ErrorSerializer, description="invalid_key (unknown, unregistered) or unknown_installation."
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="Conflicts with the current state (key_in_use, replayed, wrong_channel, "
        "installation_active, installation_deactivated).",
    ),
    413: OpenApiResponse(
        ErrorSerializer, description="The body is larger than the portal reads (request_too_large)."
    ),
    415: OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
    429: OpenApiResponse(
        ErrorSerializer, description="Throttled; the Retry-After header says when to retry."
    ),
}
REQUEST_EXAMPLE = OpenApiExample(
    "Signed request",
    value={
        "message": "-----BEGIN MYACCOUNT LICENSING MESSAGE-----\n...\n"
        "-----END MYACCOUNT LICENSING MESSAGE-----\n"
    },
    request_only=True,
)


def _endpoint(
    service, request_type: str, answer_type: str, summary: str, description: str
) -> type[APIView]:
    class Endpoint(_LicensingView):
        def short_path(self, request: HttpRequest) -> HttpResponse | None:
            if request.method != "POST" or (text := _message_of(request)) is None:
                return None
            if counted(request, {"message": text}, per_key=True) is not None:
                return None  # refused: DRF's path answers 429 with its verdict
            seen, decoded = getattr(request, "licensing_decoded", (None, None))
            message = decoded if seen is text and decoded is not None else text
            allow = ", ".join(self.allowed_methods)
            try:
                answer = service(message, channel=services.ONLINE)
            except DomainError as exc:
                error = {"error": {"code": exc.code, "message": exc.message}}
                return _json_response(error, status=exc.status, allow=allow)
            return _json_response({"message": answer}, allow=allow)

        @extend_schema(
            operation_id=f"licensing_{request_type}",
            summary=summary,
            description=(
                f"{description}\n\nThe body carries a signed `{request_type}`; the answer "
                f"a `{answer_type}` signed by the portal, whose payload echoes "
                "`installation_id` and `request_nonce`."
            ),
            tags=["licensing"],
            request=MessageSerializer,
            responses={200: MessageSerializer, **ERROR_RESPONSES},
            examples=[REQUEST_EXAMPLE],
            auth=[],
        )
        def post(self, request: Request) -> Response:
            incoming = MessageSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            text = incoming.validated_data["message"]
            # The throttle decoded this text already (unverified): the service verifies
            # that parse rather than parsing the text again.
            seen, decoded = getattr(request, "licensing_decoded", (None, None))
            message = decoded if seen is text and decoded is not None else text
            answer = service(message, channel=services.ONLINE)
            return Response(MessageSerializer({"message": answer}).data)

    Endpoint.__name__ = Endpoint.__qualname__ = f"{request_type.title().replace('_', '')}View"
    return Endpoint


ActivateView = _endpoint(
    services.license_activate,
    "activation_request",
    "activation_response",
    "Activate an installation with a license key",
    "Binds the license key to the installation whose key signed the request. Refused if "
    "the key is unknown, expired or active on another installation.",
)
RefreshView = _endpoint(
    services.license_refresh,
    "refresh_request",
    "refresh_response",
    "Refresh the license information",
    "Answers the current license information (an upgrade shows at once); stores the usage "
    "the request carries. A deactivated installation gets status `deactivated`.",
)
UsageView = _endpoint(
    services.usage_report,
    "usage_report",
    "usage_response",
    "Report usage",
    "Stores the registered computers and the day's peak; answers with `over_limit`.",
)
DeactivateView = _endpoint(
    services.license_deactivate,
    "deactivation_request",
    "deactivation_response",
    "Deactivate an installation",
    "Releases the license key at once (online activations only).",
)


class PublicKeysView(_LicensingView):
    throttle_classes = [ClientAddressThrottle]

    @extend_schema(
        operation_id="licensing_public_keys",
        summary="The portal's public keys",
        description="Every valid Ed25519 key that signs the portal's answers, under the key "
        "id each message names; the last one signs new answers. Proxies pin them on first "
        "use (or from `manage.py licensing_public_key --json`). Every signed answer also "
        "carries this key set in `portal_keys`, signed by each key in it, so a proxy that "
        "trusts an older key learns a new one from an answer, never from this unsigned list.",
        tags=["licensing"],
        responses={200: PublicKeysSerializer, 429: ERROR_RESPONSES[429]},
        auth=[],
    )
    def get(self, request: Request) -> Response:
        return Response(_published_keys(), status=status.HTTP_200_OK)

    def short_path(self, request: HttpRequest) -> HttpResponse | None:
        if request.method != "GET" or counted(request, None, per_key=False) is not None:
            return None
        response = HttpResponse(_published_keys_json(), content_type=JSON)
        response["Allow"] = ", ".join(self.allowed_methods)
        return response


# The published key set of the loaded keys, serialized once: the keys only change when
# the registry is loaded again (signing.registry_reset), which gives a new list.
_published: tuple[list[signing.SigningKey], dict[str, Any], bytes] | None = None


def _published_set() -> tuple[list[signing.SigningKey], dict[str, Any], bytes]:
    global _published
    keys = signing.signing_keys()
    if _published is None or _published[0] is not keys:
        entries = [
            {"kid": key.kid, "public_key": key.public_key_pem, "algorithm": "Ed25519"}
            for key in keys
        ]
        data = PublicKeysSerializer({"keys": entries}).data
        _published = (keys, data, _render(data))
    return _published


def _published_keys() -> dict[str, Any]:
    return _published_set()[1]


def _published_keys_json() -> bytes:
    return _published_set()[2]


__all__ = [
    "ActivateView",
    "DeactivateView",
    "PublicKeysView",
    "RefreshView",
    "UsageView",
    "licensing_exception_handler",
]
