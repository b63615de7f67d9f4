"""SCIM 2.0 (RFC 7643/7644) at /scim/v2/, one business account per bearer token.

Discovery (ServiceProviderConfig, Schemas, ResourceTypes); Users, the account's members
(created for its verified domains, read, listed, filtered, replaced, patched, deleted);
Groups, the account's administrators' group (its members are the Account Administrators)
and any other group the IdP pushes, stored as sent; POST /.search at the root and per
type; `attributes` and `excludedAttributes` everywhere a resource is returned.

Shapes, PATCH and the attribute selection come from scim2-models (pydantic models of the
RFCs), filters from scim2-filter-parser, so nothing here parses SCIM by hand. The policy
below accepts what Entra ID and Okta actually send. Changes are made by sso.scim_services
(and through it the accounts' membership services); this module reads and answers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Annotated, Any

from django.conf import settings
from django.db.models import QuerySet
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
    EnterpriseUser,
    Error,
    ETag,
    Filter,
    Group,
    Meta,
    Mutability,
    Patch,
    PatchOp,
    Required,
    ResourceType,
    ResponseParameters,
    SCIMException,
    ScimPolicy,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
    User,
)

from accounts.models import Account, Membership
from core.errors import DomainError
from sso import scim_services
from sso.models import ScimGroup, scim_admin_group_id
from sso.selectors import sso_scim_config

CONTENT_TYPE = "application/scim+json"
MAX_COUNT = 200
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# What identity providers send, accepted as they send it: attributes of schemas this
# server does not define are kept and given back; Entra ID's `remove` of members with a
# value selects the members to remove; Entra ID's `add` to `emails[type eq "work"].value`
# creates the work address when there is none.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.keep,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


class AccountUser(User[EnterpriseUser]):
    """A member of the account as SCIM sees them. userName is the person's sign-in
    address, which other accounts share: immutable here (a new address is a new user)."""

    user_name: Annotated[str | None, Uniqueness.server, Required.true, Mutability.immutable] = None


# The attributes the server owns: never taken from a document, always put back on it.
# (`active` is the membership's status; the document keeps only whether the IdP states it.)
SERVER_ATTRIBUTES = {"id", "meta", "schemas", "userName", "groups", "password"}


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


def _error_response(error: Error) -> HttpResponse:
    return scim_error(int(error.status or 400), error.detail or "", error.scim_type)


def _base() -> str:
    return settings.SITE_URL + reverse("scim_users").rsplit("/", 1)[0]


class _BadRequest(ValueError):
    """A request SCIM names the fault of: `scim_type` (invalidFilter, invalidValue...)."""

    def __init__(self, detail: str, scim_type: str = "invalidValue") -> None:
        super().__init__(detail)
        self.scim_type = scim_type


def scim_endpoint(*methods: str) -> Callable:
    """Bearer token → request.scim_account; anything else is a SCIM 401, another method a
    SCIM 405, a refused change a SCIM error with the service's message. The view runs
    under POLICY."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            config = sso_scim_config(token.strip()) if scheme.lower() == "bearer" else None
            if config is None:
                return scim_error(401, "A valid bearer token is required.")
            if request.method not in methods:
                return scim_error(405, f"{request.method} is not supported here.")
            request.scim_account = config.account
            # The Roles step's group as the request began; writes re-read it under the lock.
            request.scim_admin_group_name = config.admin_group
            try:
                with POLICY:
                    return view(request, *args, **kwargs)
            except DomainError as error:
                return scim_error(
                    error.status, error.message, "uniqueness" if error.status == 409 else None
                )
            except SCIMException as error:
                return _error_response(error.to_error())
            except ValidationError as error:
                return _error_response(Error.from_validation_errors(error)[0])
            except _BadRequest as error:
                return scim_error(400, str(error), error.scim_type)

        return wrapper

    return decorate


# --- Discovery ------------------------------------------------------------------------


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


_SCHEMA_MODELS = {USER_SCHEMA: AccountUser, ENTERPRISE_SCHEMA: EnterpriseUser, GROUP_SCHEMA: Group}
_RESOURCE_MODELS = {"User": AccountUser, "Group": Group}


def _schema(schema_id: str) -> dict:
    schema = _SCHEMA_MODELS[schema_id].to_schema()
    schema.meta = Meta(resource_type="Schema", location=f"{_base()}/Schemas/{schema_id}")
    return schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _resource_type(name: str) -> dict:
    resource_type = ResourceType.from_resource(_RESOURCE_MODELS[name])
    resource_type.meta = Meta(
        resource_type="ResourceType", location=f"{_base()}/ResourceTypes/{name}"
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
        return _json(_list([_schema(s) for s in _SCHEMA_MODELS]))
    if schema_id not in _SCHEMA_MODELS:
        return scim_error(404, "No such schema.")
    return _json(_schema(schema_id))


@scim_endpoint("GET")
def resource_types(request: HttpRequest, name: str | None = None) -> HttpResponse:
    if name is None:
        return _json(_list([_resource_type(n) for n in _RESOURCE_MODELS]))
    if name not in _RESOURCE_MODELS:
        return scim_error(404, "No such resource type.")
    return _json(_resource_type(name))


# --- Reading a request: filters, paging, attributes -------------------------------------


# The filters identity providers send to find what they provisioned: one attribute `eq`
# a string. Per resource type, the attribute → its lookup (iexact where SCIM's caseExact
# is false: userName, displayName).
USER_FILTERS = {
    "username": "user__email__iexact",
    "externalid": "scim_user__external_id",
    "id": "pk",
}
GROUP_FILTERS = {
    "displayname": "display_name__iexact",
    "externalid": "external_id",
    "id": "id",
}


@dataclass(frozen=True)
class Query:
    """A list or search request: its filter (attribute, value), paging and selection."""

    match: tuple[str, str] | None
    start: int
    count: int
    selection: ResponseParameters | None


def _filter(text: str, schema: str, allowed: dict) -> tuple[str, str]:
    """`attribute eq "value"` of an allowed attribute (with or without its schema's URN);
    any other filter is refused as invalidFilter."""
    try:
        ast = SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as error:  # the parser raises its own and plain errors
        raise _BadRequest(str(error) or "The filter cannot be read.", "invalidFilter") from None
    expr = getattr(ast, "expr", None)
    path = getattr(expr, "attr_path", None)
    name = (getattr(path, "attr_name", "") or "").lower().removeprefix(schema.lower() + ":")
    if (
        ast is None
        or ast.negated
        or getattr(expr, "value", "").lower() != "eq"
        or path is None
        or name not in allowed
        or path.sub_attr is not None
        or not isinstance(getattr(expr.comp_value, "value", None), str)
    ):
        names = ", ".join(
            a for a in ("userName", "displayName", "externalId", "id") if a.lower() in allowed
        )
        raise _BadRequest(f'Only {names} eq "..." filters are supported.', "invalidFilter")
    return name, expr.comp_value.value


def _positive(value: Any, default: int) -> int:
    try:
        return max(int(value), 0) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise _BadRequest("startIndex and count must be integers.", "invalidValue") from None


def _query(params: dict, model: type | None, schema: str, filters: dict) -> Query:
    """The query of GET ?filter=&startIndex=&count=&attributes=&excludedAttributes= or of
    a POST .../.search body (the same names)."""
    text = params.get("filter")
    if text and model is None:
        raise _BadRequest(
            "Filter at /Users/.search or /Groups/.search, not at the root.", "invalidFilter"
        )
    selection = None
    if params.get("attributes") or params.get("excludedAttributes"):
        selection = ResponseParameters[model or Any].model_validate(
            {
                "attributes": params.get("attributes") or None,
                "excludedAttributes": params.get("excludedAttributes") or None,
            }
        )
    return Query(
        match=_filter(text, schema, filters) if text else None,
        start=max(_positive(params.get("startIndex"), 1), 1),
        count=min(_positive(params.get("count"), 100), MAX_COUNT),
        selection=selection,
    )


def _body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise _BadRequest("The body is not JSON.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise _BadRequest("The body must be a JSON object.", "invalidSyntax")
    return body


def _search_params(request: HttpRequest) -> dict:
    body = _body(request)
    SearchRequest.model_validate(body)  # the shape of RFC 7644 §3.4.3
    return body


def _selection(request: HttpRequest, model: type) -> ResponseParameters | None:
    """`attributes`/`excludedAttributes` of a request that returns one resource."""
    return _query(request.GET.dict(), model, "", {}).selection


def _dump(resource, selection: ResponseParameters | None) -> dict:
    return resource.model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=selection
    )


def _document(resource) -> dict:
    """What the IdP sent, to keep: the resource without what the server owns (and never
    a password)."""
    dumped = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    return {k: v for k, v in dumped.items() if k not in SERVER_ATTRIBUTES}


def _patch(model: type, resource, body: dict, *, drop: Callable[[dict], dict | None]) -> None:
    """Apply a PatchOp body to `resource` in place (scim2-models). `drop` takes out of
    each operation what the server ignores (Okta's value objects repeat the id), or the
    whole operation (None)."""
    operations = body.get("Operations")
    if isinstance(operations, list) and operations:
        kept = [drop(op) if isinstance(op, dict) else op for op in operations]
        kept = [op for op in kept if op is not None]
        if not kept:
            return
        body = {**body, "Operations": kept}
    patch = PatchOp[model].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    patch.patch(resource)


def _paged(sources: list[tuple[int, Callable[[int, int], list[dict]]]], query: Query) -> dict:
    """One page over several result sets in turn: each (total, page(offset, limit))."""
    resources: list[dict] = []
    offset, room = query.start - 1, query.count
    for total, page in sources:
        if room and offset < total:
            items = page(offset, room)
            resources.extend(items)
            room -= len(items)
        offset = max(offset - total, 0)
    return _list(resources, total=sum(t for t, _ in sources), start=query.start)


# --- Users ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminGroup:
    """The account's administrators' group, when the Roles step names one."""

    id: str
    name: str


def _admin_group(request: HttpRequest) -> AdminGroup | None:
    name = request.scim_admin_group_name
    account_id = request.scim_account.pk
    return AdminGroup(id=str(scim_admin_group_id(account_id)), name=name) if name else None


def scim_user(membership: Membership, admin_group: AdminGroup | None = None) -> AccountUser:
    """A member of the account as a SCIM User: what the IdP last sent, with the server's
    own attributes over it. Its id is the membership's, not the person's, so nothing
    about the person's other accounts shows."""
    person = membership.user
    stored = getattr(membership, "scim_user", None)
    if stored is not None:
        document = dict(stored.document)
    else:  # joined on a page or by SSO: what the portal knows of the person
        document = {
            "name": {"givenName": person.first_name, "familyName": person.last_name},
            "displayName": person.get_full_name() or person.email,
            "emails": [{"value": person.email, "primary": True}],
        }
    # A blocked member is always active false; an active one shows active true unless
    # the IdP removed the attribute (unassigned: the default, active).
    if stored is None or "active" in document or not membership.is_active:
        document["active"] = membership.is_active
    document |= {
        "id": str(membership.pk),
        "userName": person.email,
        "meta": {
            "resourceType": "User",
            "created": membership.created_at,
            "lastModified": stored.updated_at if stored is not None else membership.created_at,
            "location": f"{_base()}/Users/{membership.pk}",
        },
    }
    if admin_group is not None and membership.role == Membership.Role.ADMIN:
        document["groups"] = [
            {
                "value": admin_group.id,
                "$ref": f"{_base()}/Groups/{admin_group.id}",
                "display": admin_group.name,
                "type": "direct",
            }
        ]
    return AccountUser.model_validate(document)


def _members(account: Account) -> QuerySet[Membership]:
    # The document rides along (a reverse one-to-one): one query per page, whatever its size.
    return (
        Membership.objects.filter(account=account)
        .select_related("user", "scim_user")
        .order_by("pk")
    )


def _users_list(request: HttpRequest, query: Query) -> tuple[int, Callable[[int, int], list[dict]]]:
    members = _members(request.scim_account)
    if query.match is not None:
        name, value = query.match
        if name == "id" and not value.isdigit():
            members = members.none()
        else:
            members = members.filter(**{USER_FILTERS[name]: value})
    admin_group = _admin_group(request)

    def page(offset: int, limit: int) -> list[dict]:
        rows = members[offset : offset + limit]
        return [_dump(scim_user(m, admin_group), query.selection) for m in rows]

    return members.count(), page


def _user_response(membership: Membership, request: HttpRequest, status: int = 200) -> HttpResponse:
    membership = _members(request.scim_account).get(pk=membership.pk)
    resource = scim_user(membership, _admin_group(request))
    response = _json(_dump(resource, _selection(request, AccountUser)), status)
    if status == 201:
        response["Location"] = resource.meta.location
    return response


@scim_endpoint("GET", "POST")
def users(request: HttpRequest) -> HttpResponse:
    account = request.scim_account
    if request.method == "POST":
        posted = AccountUser.model_validate(
            _body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        membership = scim_services.scim_user_provision(
            account=account,
            user_name=posted.user_name or "",
            first_name=(posted.name.given_name if posted.name else "") or "",
            last_name=(posted.name.family_name if posted.name else "") or "",
            active=posted.active is not False,
            document=_document(posted),
        )
        return _user_response(membership, request, 201)
    query = _query(request.GET.dict(), AccountUser, USER_SCHEMA, USER_FILTERS)
    return _json(_paged([_users_list(request, query)], query))


def _same_user_name(value: Any, email: str) -> bool:
    return isinstance(value, str) and value.strip().casefold() == email.casefold()


def _drop_same_user_name(email: str) -> Callable[[dict], dict | None]:
    """An operation that sets userName to what it is changes nothing: take it out, so the
    immutable attribute is not refused for it (Entra ID repeats it)."""

    def drop(op: dict) -> dict | None:
        path = str(op.get("path") or "").lower()
        if path in {"username", USER_SCHEMA.lower() + ":username"}:
            return None if _same_user_name(op.get("value"), email) else op
        op = _drop_id(op)
        value = op.get("value")
        if not path and isinstance(value, dict):
            same = [
                k for k, v in value.items() if k.lower() == "username" and _same_user_name(v, email)
            ]
            return {**op, "value": {k: v for k, v in value.items() if k not in same}}
        return op

    return drop


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, member_id: str) -> HttpResponse:
    account = request.scim_account
    membership = (
        _members(account).filter(pk=int(member_id)).first() if member_id.isdigit() else None
    )
    if membership is None:
        return scim_error(404, "No such user in this account.")
    if request.method == "DELETE":
        scim_services.scim_user_delete(account=account, membership=membership)
        return HttpResponse(status=204)
    email = membership.user.email
    if request.method == "PUT":
        replaced = AccountUser.model_validate(
            _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        if not _same_user_name(replaced.user_name, email):
            raise _BadRequest(
                "userName is immutable: it is the person's sign-in address.", "mutability"
            )
        scim_services.scim_user_update(
            account=account,
            membership=membership,
            active=replaced.active,
            document=_document(replaced),
        )
    elif request.method == "PATCH":
        # scim2-models applies the operations (Entra's "Replace" with "False", Okta's
        # value objects) to the User as it is; the services then do what changed.
        current = scim_user(membership)
        stated = current.active is not None
        _patch(AccountUser, current, _body(request), drop=_drop_same_user_name(email))
        active = current.active
        if active is None and stated:
            active = True  # `remove` of active: unassigned, the default (active) again
        scim_services.scim_user_update(
            account=account, membership=membership, active=active, document=_document(current)
        )
    return _user_response(membership, request)


# --- Groups ---------------------------------------------------------------------------


def _member_entry(membership: Membership) -> dict:
    return {
        "value": str(membership.pk),
        "$ref": f"{_base()}/Users/{membership.pk}",
        "type": "User",
        "display": membership.user.email,
    }


def _admin_group_resource(account: Account, admin_group: AdminGroup) -> Group:
    """The administrators' group: its name from the Roles step, its members the
    account's Account Administrators (blocked ones too: the role stays theirs)."""
    row = ScimGroup.objects.filter(account=account, is_admin_group=True).first()
    admins = (
        Membership.objects.filter(account=account, role=Membership.Role.ADMIN)
        .select_related("user")
        .order_by("pk")
    )
    document = dict(row.document) if row is not None else {}
    document |= {
        "id": admin_group.id,
        "displayName": admin_group.name,
        "members": [_member_entry(m) for m in admins],
        "meta": {
            "resourceType": "Group",
            "created": row.created_at if row else account.created_at,
            "lastModified": row.updated_at if row else account.created_at,
            "location": f"{_base()}/Groups/{admin_group.id}",
        },
    }
    return Group.model_validate(document)


def _group_resource(row: ScimGroup, known: set[str]) -> Group:
    """A group other than the administrators': as stored, without the members that are
    no longer this account's (deleted since)."""
    document = dict(row.document)
    if document.get("members"):
        document["members"] = [m for m in document["members"] if str(m.get("value")) in known]
    document |= {
        "id": str(row.pk),
        "displayName": row.display_name,
        "meta": {
            "resourceType": "Group",
            "created": row.created_at,
            "lastModified": row.updated_at,
            "location": f"{_base()}/Groups/{row.pk}",
        },
    }
    return Group.model_validate(document)


def _known_members(account: Account, rows: list[ScimGroup]) -> set[str]:
    values = {str(m.get("value")) for r in rows for m in r.document.get("members") or []}
    ids = [int(v) for v in values if v.isdigit()]
    if not ids:
        return set()
    found = Membership.objects.filter(account=account, pk__in=ids).values_list("pk", flat=True)
    return {str(pk) for pk in found}


def _plain_groups(account: Account) -> QuerySet[ScimGroup]:
    return ScimGroup.objects.filter(account=account, is_admin_group=False).order_by(
        "created_at", "id"
    )


def _groups_list(request: HttpRequest, query: Query) -> list[tuple[int, Callable]]:
    """The administrators' group first (when the Roles step names one), then the others."""
    account = request.scim_account
    admin_group = _admin_group(request)
    rows = _plain_groups(account)
    admin_matches = admin_group is not None
    if query.match is not None:
        name, value = query.match
        admin_matches = admin_group is not None and (
            (name == "displayname" and value.casefold() == admin_group.name.casefold())
            or (name == "id" and value == admin_group.id)
            or (
                name == "externalid"
                and ScimGroup.objects.filter(
                    account=account, is_admin_group=True, external_id=value
                ).exists()
            )
        )
        lookup = GROUP_FILTERS[name]
        rows = rows.filter(**{lookup: value}) if name != "id" or _is_uuid(value) else rows.none()

    def admin_page(offset: int, limit: int) -> list[dict]:
        return [_dump(_admin_group_resource(account, admin_group), query.selection)]

    def page(offset: int, limit: int) -> list[dict]:
        chosen = list(rows[offset : offset + limit])
        known = _known_members(account, chosen)
        return [_dump(_group_resource(r, known), query.selection) for r in chosen]

    sources = [(1, admin_page)] if admin_matches else []
    return [*sources, (rows.count(), page)]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _member_values(group: Group) -> list[str]:
    return [str(m.value) for m in group.members or [] if m.value is not None]


def _group_response(request: HttpRequest, group_id: str, status: int = 200) -> HttpResponse:
    resource = _find_group(request, group_id)
    response = _json(_dump(resource, _selection(request, Group)), status)
    if status == 201:
        response["Location"] = resource.meta.location
    return response


def _find_group(request: HttpRequest, group_id: str) -> Group | None:
    if not _is_uuid(group_id):
        return None
    account = request.scim_account
    admin_group = _admin_group(request)
    if admin_group is not None and uuid.UUID(group_id) == uuid.UUID(admin_group.id):
        return _admin_group_resource(account, admin_group)
    row = _plain_groups(account).filter(pk=group_id).first()
    return _group_resource(row, _known_members(account, [row])) if row is not None else None


@scim_endpoint("GET", "POST")
def groups(request: HttpRequest) -> HttpResponse:
    account = request.scim_account
    if request.method == "POST":
        posted = Group.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        admin_group = _admin_group(request)
        name = (posted.display_name or "").strip()
        if admin_group is not None and name.casefold() == admin_group.name.casefold():
            # Creating the group the Roles step names connects it: its members become
            # Account Administrators, nobody is demoted.
            scim_services.scim_admin_group_save(
                account=account,
                display_name=name,
                document=_document(posted),
                add=_member_values(posted),
                remove=[],
            )
            return _group_response(request, admin_group.id, 201)
        row = scim_services.scim_group_save(
            account=account, group=None, display_name=name, document=_document(posted)
        )
        return _group_response(request, str(row.pk), 201)
    query = _query(request.GET.dict(), Group, GROUP_SCHEMA, GROUP_FILTERS)
    return _json(_paged(_groups_list(request, query), query))


def _drop_id(op: dict) -> dict:
    """Okta's (and Entra ID's) value objects without a path repeat the resource's id,
    which is the server's: leave it out."""
    value = op.get("value")
    if not op.get("path") and isinstance(value, dict):
        return {**op, "value": {k: v for k, v in value.items() if k.lower() != "id"}}
    return op


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, group_id: str) -> HttpResponse:
    account = request.scim_account
    current = _find_group(request, group_id)
    if current is None:
        return scim_error(404, "No such group in this account.")
    admin_group = _admin_group(request)
    is_admin = admin_group is not None and current.id == admin_group.id
    if request.method == "GET":
        return _group_response(request, group_id)
    if request.method == "DELETE":
        scim_services.scim_group_delete(account=account, group_id=str(current.id))
        return HttpResponse(status=204)
    before = _member_values(current)
    if request.method == "PUT":
        changed = Group.model_validate(
            _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        if is_admin and changed.members is None:
            changed.members = current.members  # no members sent: the role stays as it is
    else:
        changed = current
        _patch(Group, changed, _body(request), drop=_drop_id)
    after = _member_values(changed)
    if is_admin:
        scim_services.scim_admin_group_save(
            account=account,
            display_name=changed.display_name or "",
            document=_document(changed),
            add=[v for v in after if v not in before],
            remove=[v for v in before if v not in after],
        )
    else:
        scim_services.scim_group_save(
            account=account,
            group=_plain_groups(account).get(pk=group_id),
            display_name=changed.display_name or "",
            document=_document(changed),
        )
    return _group_response(request, group_id)


# --- POST /.search ----------------------------------------------------------------------


@scim_endpoint("POST")
def search(request: HttpRequest, resource_type: str | None = None) -> HttpResponse:
    """RFC 7644 §3.4.3: the query in the body. At the root, the account's Users and then
    its Groups (without a filter: one attribute does not name both)."""
    params = _search_params(request)
    if resource_type == "Users":
        query = _query(params, AccountUser, USER_SCHEMA, USER_FILTERS)
        return _json(_paged([_users_list(request, query)], query))
    if resource_type == "Groups":
        query = _query(params, Group, GROUP_SCHEMA, GROUP_FILTERS)
        return _json(_paged(_groups_list(request, query), query))
    query = _query(params, None, "", {})
    return _json(_paged([_users_list(request, query), *_groups_list(request, query)], query))


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    return scim_error(404, "No such SCIM endpoint.")
