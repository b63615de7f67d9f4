"""SCIM 2.0 (RFC 7643/7644) at /scim/v2/, one business account per bearer token.

Discovery (ServiceProviderConfig, Schemas, ResourceTypes) and Users: the account's
members (`filter=userName eq "..."`, startIndex/count paging), created (people of its
verified domains), replaced or patched (`active`), deleted. Shapes and PATCH come from
scim2-models (pydantic models of the RFCs), filters from scim2-filter-parser, so
nothing here parses SCIM by hand; the changes are the sso and accounts services'.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    Email,
    ETag,
    Filter,
    ListResponse,
    Meta,
    Name,
    Patch,
    PatchOp,
    ResourceType,
    SCIMException,
    ServiceProviderConfig,
    Sort,
    User,
)

from accounts.models import Account, Membership
from core.errors import DomainError
from sso.selectors import sso_scim_account
from sso.services import sso_scim_user_create, sso_scim_user_delete, sso_scim_user_set_active

CONTENT_TYPE = "application/scim+json"
MAX_COUNT = 200
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def _json(payload: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(payload), status=status, content_type=CONTENT_TYPE)


def scim_error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    """An error in SCIM's shape (RFC 7644 §3.12)."""
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "detail": detail,
    }
    if scim_type:
        body["scimType"] = scim_type
    response = _json(body, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return response


def _base() -> str:
    return settings.SITE_URL + reverse("scim_users").rsplit("/", 1)[0]


def scim_endpoint(*methods: str) -> Callable:
    """Bearer token → request.scim_account; anything else is a SCIM 401, another method a
    SCIM 405, a refused change a SCIM error with the service's message."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            account = sso_scim_account(token.strip()) if scheme.lower() == "bearer" else None
            if account is None:
                return scim_error(401, "A valid bearer token is required.")
            if request.method not in methods:
                return scim_error(405, f"{request.method} is not supported here.")
            request.scim_account = account
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                return scim_error(
                    error.status if error.status != 400 else 400,
                    error.message,
                    "uniqueness" if error.status == 409 else None,
                )
            except (ValidationError, SCIMException, ValueError) as error:
                return scim_error(400, str(error).splitlines()[0], "invalidValue")

        return wrapper

    return decorate


@scim_endpoint("GET")
def service_provider_config(request: HttpRequest) -> HttpResponse:
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_COUNT),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="OAuth Bearer Token",
                description="The SCIM token from Business Profile → Single Sign-On.",
                primary=True,
            )
        ],
        meta=Meta(
            resource_type="ServiceProviderConfig", location=_base() + "/ServiceProviderConfig"
        ),
    )
    return _json(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _user_schema() -> dict:
    schema = User.to_schema()
    schema.meta = Meta(resource_type="Schema", location=f"{_base()}/Schemas/{USER_SCHEMA}")
    return schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _user_resource_type() -> dict:
    resource_type = ResourceType.from_resource(User)
    resource_type.meta = Meta(
        resource_type="ResourceType", location=_base() + "/ResourceTypes/User"
    )
    return resource_type.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _list(resources: list[dict], *, total: int | None = None, start: int = 1) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(resources) if total is None else total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


@scim_endpoint("GET")
def schemas(request: HttpRequest, schema_id: str | None = None) -> HttpResponse:
    if schema_id is None:
        return _json(_list([_user_schema()]))
    if schema_id != USER_SCHEMA:
        return scim_error(404, "No such schema.")
    return _json(_user_schema())


@scim_endpoint("GET")
def resource_types(request: HttpRequest, name: str | None = None) -> HttpResponse:
    if name is None:
        return _json(_list([_user_resource_type()]))
    if name != "User":
        return scim_error(404, "No such resource type.")
    return _json(_user_resource_type())


def scim_user(membership: Membership) -> User:
    """A member of the account as a SCIM User: its id is the membership's, not the
    person's, so nothing about the person's other accounts shows."""
    person = membership.user
    return User(
        id=str(membership.pk),
        user_name=person.email,
        name=Name(given_name=person.first_name, family_name=person.last_name),
        display_name=person.get_full_name() or person.email,
        active=membership.is_active,
        emails=[Email(value=person.email, primary=True)],
        meta=Meta(
            resource_type="User",
            created=membership.created_at,
            location=f"{_base()}/Users/{membership.pk}",
        ),
    )


class _BadFilter(ValueError):
    pass


def _user_name_filter(text: str) -> str:
    """The address of `userName eq "..."`, the filter identity providers send to find
    a person; any other filter is refused as invalidFilter."""
    try:
        ast = SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as error:  # the parser raises its own and plain errors
        raise _BadFilter(str(error)) from None
    expr = getattr(ast, "expr", None)
    path = getattr(expr, "attr_path", None)
    if (
        ast is None
        or ast.negated
        or getattr(expr, "value", "").lower() != "eq"
        or path is None
        or getattr(path, "attr_name", "").lower()
        not in {"username", USER_SCHEMA.lower() + ":username"}
        or path.sub_attr is not None
        or not isinstance(getattr(expr.comp_value, "value", None), str)
    ):
        raise _BadFilter('Only userName eq "..." is supported.')
    return expr.comp_value.value


def _members(account: Account):
    return Membership.objects.filter(account=account).select_related("user").order_by("pk")


def _positive(value: str | None, default: int) -> int:
    try:
        return max(int(value), 0) if value not in (None, "") else default
    except ValueError:
        raise _BadFilter("startIndex and count must be integers.") from None


def _body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ValueError("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object.")
    return body


def _user_response(membership: Membership, status: int = 200) -> HttpResponse:
    membership.refresh_from_db()
    payload = scim_user(membership).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    response = _json(payload, status)
    if status == 201:
        response["Location"] = payload["meta"]["location"]
    return response


@scim_endpoint("GET", "POST")
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        posted = User.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        membership = sso_scim_user_create(
            account=request.scim_account,
            user_name=posted.user_name or "",
            first_name=(posted.name.given_name if posted.name else "") or "",
            last_name=(posted.name.family_name if posted.name else "") or "",
        )
        if posted.active is False:
            sso_scim_user_set_active(
                account=request.scim_account, membership=membership, active=False
            )
        return _user_response(membership, 201)
    members = _members(request.scim_account)
    try:
        if request.GET.get("filter"):
            members = members.filter(user__email__iexact=_user_name_filter(request.GET["filter"]))
        start = max(_positive(request.GET.get("startIndex"), 1), 1)
        count = min(_positive(request.GET.get("count"), 100), MAX_COUNT)
    except _BadFilter as error:
        return scim_error(400, str(error), "invalidFilter")
    total = members.count()
    page = list(members[start - 1 : start - 1 + count]) if count else []
    resources = [scim_user(m).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for m in page]
    response = ListResponse[User](
        total_results=total, start_index=start, items_per_page=len(resources), resources=None
    ).model_dump(scim_ctx=Context.SEARCH_RESPONSE)
    response["Resources"] = resources
    return _json(response)


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, member_id: str) -> HttpResponse:
    account = request.scim_account
    membership = (
        _members(account).filter(pk=int(member_id)).first() if member_id.isdigit() else None
    )
    if membership is None:
        return scim_error(404, "No such user in this account.")
    if request.method == "DELETE":
        sso_scim_user_delete(account=account, membership=membership)
        return HttpResponse(status=204)
    if request.method == "PUT":
        replaced = User.model_validate(
            _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        if replaced.active is not None:
            sso_scim_user_set_active(account=account, membership=membership, active=replaced.active)
    elif request.method == "PATCH":
        # scim2-models applies the operations (Entra's "Replace" with "False", Okta's
        # value objects) to the User as it is; what changed is then done by the services.
        patch = PatchOp[User].model_validate(
            _body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        current = scim_user(membership)
        patch.patch(current)
        if current.active is not None:
            sso_scim_user_set_active(
                account=account, membership=membership, active=bool(current.active)
            )
    return _user_response(membership)


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    return scim_error(404, "No such SCIM endpoint.")
