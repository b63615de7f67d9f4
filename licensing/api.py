"""The licensing REST API the proxies talk to (``pmm-proxy``'s online channel).

POST ``activate/``, ``refresh/``, ``usage/``, ``deactivate/`` take ``{"message": <armored
request>}`` and answer 200 ``{"message": <armored answer>}``; a refusal answers 4xx
``{"error": {"code", "message"}}`` (core.errors.error_body). GET ``public-keys/``
publishes the portal's keys.

One DRF view per operation, and nothing beside it: DRF parses, validates and renders,
drf-spectacular documents it from the same classes. There is no session, cookie or
CSRF here: the signature is the authentication. Each request counts against its client
address, and a message naming a license key or installation against that key or
installation too, in one call of the cache once its body is parsed, before anything is
looked up or verified: a body that cannot be parsed still counts against its address,
and is throttled before it is refused (licensing/throttling.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.validators import ProhibitSurrogateCharactersValidator
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.api_errors import JSONParser
from core.errors import DomainError, error_body
from licensing import services, signing, throttling
from licensing.client import envelope

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
    """Every refusal in the one error shape (core.errors.error_body); Retry-After kept
    on 429."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message), status=exc.status)
    if isinstance(exc, Http404):  # e.g. ?format= naming a renderer this API lacks
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let it be a 500 and reach the logs
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid_request"
        message = _("The request is malformed: {detail}").format(detail=_flatten(exc.detail))
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        message = _flatten(
            exc.detail if isinstance(exc, exceptions.APIException) else response.data
        )
    response.data = error_body(code, message)
    return response


# --- views --------------------------------------------------------------------------------


class OneRendererNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation (a `content_negotiation_class`, as DRF documents), with
    the answer of a view that has one renderer given at once when the request leaves no
    choice to make: no `format` (no query string at all) and an Accept header that is
    absent, ``*/*`` or the renderer's media type, where DRF would parse the header and
    come to the same renderer and media type. Every other request (another type, a
    list, parameters, ``?format=``) is DRF's to negotiate: a 406 or 404 as before."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and not format_suffix and not request.META.get("QUERY_STRING"):
            renderer = renderers[0]
            if request.META.get("HTTP_ACCEPT", "*/*") in ("*/*", renderer.media_type):
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)


class _LicensingView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    content_negotiation_class = OneRendererNegotiation
    throttle_classes = [throttling.ClientAddressThrottle]

    def get_exception_handler(self):
        return licensing_exception_handler

    def check_throttles(self, request: Request) -> None:
        # A POST carries a message: post() counts it against its address and its key
        # together, in one call of the cache.
        if request.method != "POST" or not hasattr(self, "post"):
            super().check_throttles(request)

    def _throttle(self, request: Request, decoded: Any) -> None:
        wait = throttling.request_wait(request, decoded)
        if wait is not None:
            self.throttled(request, wait)


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
        ErrorSerializer,
        description="invalid_key (unknown, unregistered), unknown_installation, or not_found "
        "(e.g. a `format` this API does not answer in).",
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
            try:
                incoming = MessageSerializer(data=request.data)
                incoming.is_valid(raise_exception=True)
                # Parsed once: the throttle reads the (unverified) parse, the service
                # verifies that very parse.
                decoded = services.request_decode(incoming.validated_data["message"])
            except Exception:
                self._throttle(request, None)  # a 429 over the limit, else the refusal
                raise
            self._throttle(request, decoded)
            answer = service(decoded, channel=services.ONLINE)
            return Response({"message": answer})

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
    @extend_schema(
        operation_id="licensing_public_keys",
        summary="The portal's public keys",
        description="Every valid Ed25519 key that signs the portal's answers, under the key "
        "id each message names; the last one signs new answers. Proxies pin them on first "
        "use (or from `manage.py licensing_public_key --json`). Every signed answer also "
        "carries this key set in `portal_keys`, signed by each key in it, so a proxy that "
        "trusts an older key learns a new one from an answer, never from this unsigned list.",
        tags=["licensing"],
        responses={200: PublicKeysSerializer, 404: ERROR_RESPONSES[404], 429: ERROR_RESPONSES[429]},
        auth=[],
    )
    def get(self, request: Request) -> Response:
        return Response(_published_keys())


# The published key set of the loaded keys, made once: the keys only change when the
# registry is loaded again (signing.registry_reset), which gives a new list.
_published: tuple[list[signing.SigningKey], dict[str, Any]] | None = None


def _published_keys() -> dict[str, Any]:
    global _published
    keys = signing.signing_keys()
    if _published is None or _published[0] is not keys:
        entries = [
            {"kid": key.kid, "public_key": key.public_key_pem, "algorithm": "Ed25519"}
            for key in keys
        ]
        _published = (keys, PublicKeysSerializer({"keys": entries}).data)
    return _published[1]


__all__ = [
    "ActivateView",
    "DeactivateView",
    "PublicKeysView",
    "RefreshView",
    "UsageView",
    "licensing_exception_handler",
]
