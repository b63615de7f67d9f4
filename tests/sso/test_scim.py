"""SCIM 2.0 at /scim/v2/: alice creates the token on the SSO page (shown once); the
company's IdP reads My Company's members with it, and never Other Corp's."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Membership, User
from sso import services
from sso.models import ScimUser, SsoConfig, SsoDomain
from tests import factories

pytestmark = pytest.mark.django_db
SCIM = "application/scim+json"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def token(alice, company):
    return services.sso_scim_token_rotate(account=company, actor=alice)


def _get(client, path, token, **params):
    return client.get(f"/scim/v2/{path}", params, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_page_creates_the_token_and_shows_it_once(alice_client, alice, company):
    response = alice_client.post(reverse("sso_scim_token_rotate"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    shown = re.search(r'class="scim-token">(scim_[\w-]+)<', response.content.decode()).group(1)
    config = SsoConfig.objects.get(account=company)
    assert config.scim_token_hash and shown not in config.scim_token_hash
    assert shown not in alice_client.get(reverse("sso_settings")).content.decode()
    assert AuditLog.objects.filter(action="sso.scim_token_created", actor=alice).exists()


def test_rotating_the_token_ends_the_old_one(client, alice, company, token):
    new = services.sso_scim_token_rotate(account=company, actor=alice)
    assert _get(client, "Users", token).status_code == 401
    assert _get(client, "Users", new).status_code == 200
    assert AuditLog.objects.filter(action="sso.scim_token_rotated").count() == 1


def test_a_regular_member_cannot_create_a_token(bob_client, company):
    assert bob_client.post(reverse("sso_scim_token_rotate")).status_code == 403
    assert not SsoConfig.objects.filter(account=company, scim_token_hash__isnull=False).exists()


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer scim_wrong", "Basic abc"])
def test_without_a_valid_token_it_is_a_scim_401(client, token, header):
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == SCIM
    assert response.json()["schemas"] == [ERROR] and response.json()["status"] == "401"


def test_discovery_describes_the_server(client, token):
    config = _get(client, "ServiceProviderConfig", token).json()
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["patch"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = _get(client, "ResourceTypes", token).json()
    assert [r["id"] for r in types["Resources"]] == ["User", "Group"]
    user_type = _get(client, "ResourceTypes/User", token).json()
    assert user_type["endpoint"] == "/Users"
    assert user_type["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert _get(client, "ResourceTypes/Group", token).json()["endpoint"] == "/Groups"
    schemas = _get(client, "Schemas", token).json()
    assert [s["id"] for s in schemas["Resources"]] == [USER, ENTERPRISE, GROUP]
    user_schema = _get(client, f"Schemas/{USER}", token).json()
    by_name = {a["name"]: a for a in user_schema["attributes"]}
    # The person's sign-in address, shared with their other accounts: set once.
    assert by_name["userName"]["mutability"] == "immutable"
    assert _get(client, "Schemas/urn:nope", token).status_code == 404


def test_users_lists_the_accounts_members_only(client, token, company, alice, bob, dave, charlie):
    body = _get(client, "Users", token).json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 3
    by_name = {r["userName"]: r for r in body["Resources"]}
    assert set(by_name) == {"alice@example.com", "bob@example.com", "dave@example.com"}
    assert by_name["dave@example.com"]["active"] is False  # blocked
    bob_member = Membership.objects.get(user=bob, account=company)
    assert by_name["bob@example.com"]["id"] == str(bob_member.pk)
    assert by_name["bob@example.com"]["name"] == {"givenName": "Bob", "familyName": "Member"}


def test_filter_username_eq_finds_one_person(client, token, alice, bob):
    body = _get(client, "Users", token, filter='userName eq "BOB@example.com"').json()
    assert [r["userName"] for r in body["Resources"]] == ["bob@example.com"]
    assert body["totalResults"] == 1
    none = _get(client, "Users", token, filter='userName eq "charlie@example.com"').json()
    assert none["totalResults"] == 0 and none["Resources"] == []


@pytest.mark.parametrize(
    "bad",
    ['userName co "bob"', 'emails.value eq "x"', "userName eq", "((", 'not (userName eq "a")'],
)
def test_other_filters_are_an_invalid_filter_error(client, token, bad):
    response = _get(client, "Users", token, filter=bad)
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_it_pages_with_start_index_and_count(client, token, alice, company):
    for n in range(4):
        factories.membership_create(factories.user_create(f"p{n}@example.com"), company)
    first = _get(client, "Users", token, startIndex=1, count=2).json()
    second = _get(client, "Users", token, startIndex=3, count=2).json()
    third = _get(client, "Users", token, startIndex=5, count=2).json()
    assert [first["totalResults"], first["itemsPerPage"], second["startIndex"]] == [5, 2, 3]
    names = [r["userName"] for page in (first, second, third) for r in page["Resources"]]
    assert len(names) == len(set(names)) == 5
    assert _get(client, "Users", token, count="x").status_code == 400


def test_get_one_user_and_never_another_accounts(
    client, token, company, other_company, bob, charlie
):
    mine = Membership.objects.get(user=bob, account=company)
    theirs = Membership.objects.get(user=charlie, account=other_company)
    response = _get(client, f"Users/{mine.pk}", token)
    assert response.status_code == 200 and response.json()["userName"] == "bob@example.com"
    for missing in (theirs.pk, "999999", "abc"):
        response = _get(client, f"Users/{missing}", token)
        assert response.status_code == 404 and response.json()["schemas"] == [ERROR]


def test_the_list_reads_the_same_queries_at_one_and_many_members(
    client, token, company, alice, django_assert_num_queries
):
    services.sso_roles_save(account=company, actor=alice, admin_claim="groups", admin_group="A")
    # The token's configuration (with the account and the administrators' group's name),
    # the count, the page (with the people and the IdP's documents): 3.
    with django_assert_num_queries(3):
        assert _get(client, "Users", token).json()["totalResults"] == 1
    for n in range(20):
        member = factories.membership_create(factories.user_create(f"m{n}@example.com"), company)
        ScimUser.objects.create(membership=member, document={"userType": "Employee"})
    with django_assert_num_queries(3):
        body = _get(client, "Users", token, count=50).json()
    assert body["totalResults"] == 21 and len(body["Resources"]) == 21
    assert body["Resources"][-1]["userType"] == "Employee"
    assert body["Resources"][0]["groups"][0]["display"] == "A"  # alice administers


# --- Provisioning: create, replace, PATCH, delete -------------------------------------


@pytest.fixture
def verified_domain(company):
    now = timezone.now()
    return SsoDomain.objects.create(
        account=company, domain="mycompany.example", token="t", verified_at=now
    )


def _send(client, method, path, token, body):
    return getattr(client, method)(
        f"/scim/v2/{path}",
        json.dumps(body) if not isinstance(body, str) else body,
        content_type=SCIM,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def _state():
    return (
        list(Membership.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values("email")),
        AuditLog.objects.count(),
    )


NEW_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "Erin@MyCompany.example",
    "name": {"givenName": "Erin", "familyName": "Engineer"},
    "active": True,
}


def test_post_provisions_a_person_of_a_verified_domain(
    client, token, alice, company, verified_domain
):
    response = _send(client, "post", "Users", token, NEW_USER)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["userName"] == "erin@mycompany.example" and body["active"] is True
    assert response["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    erin = User.objects.get(email="erin@mycompany.example")
    assert not erin.has_usable_password()  # signs in with SSO
    membership = Membership.objects.get(user=erin, account=company)
    assert str(membership.pk) == body["id"] and membership.role == "member"
    entry = AuditLog.objects.get(action="membership.created", target_label=erin.email)
    assert (entry.actor, entry.channel, entry.data["via"]) == (alice, "api", "scim")


def test_post_twice_is_a_uniqueness_error(client, token, verified_domain):
    _send(client, "post", "Users", token, NEW_USER)
    before = _state()
    response = _send(client, "post", "Users", token, NEW_USER)
    assert response.status_code == 409 and response.json()["scimType"] == "uniqueness"
    assert _state() == before


@pytest.mark.parametrize(
    "body",
    [
        {**NEW_USER, "userName": "mallory@other.example"},  # not a verified domain
        {"schemas": NEW_USER["schemas"]},  # no userName
        "not json",
        [1, 2],
    ],
)
def test_bad_posts_change_nothing(client, token, verified_domain, body):
    before = _state()
    response = _send(client, "post", "Users", token, body)
    assert response.status_code == 400 and response.json()["schemas"] == [ERROR]
    assert _state() == before


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "Replace", "path": "active", "value": "False"}],  # as Entra ID sends it
        [{"op": "Replace", "value": {"active": False}}],  # Entra ID, a value object
        [{"op": "replace", "value": {"active": False}}],  # as Okta sends it
        [{"op": "replace", "path": "active", "value": False}],  # Okta, with a path
        # Okta's value object repeating the userName (another case): only active changes.
        [{"op": "replace", "value": {"userName": "Bob@Example.com", "active": False}}],
    ],
)
def test_patch_active_false_blocks_the_membership_at_once(client, token, company, bob, operations):
    membership = Membership.objects.get(user=bob, account=company)
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}
    response = _send(client, "patch", f"Users/{membership.pk}", token, body)
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    membership.refresh_from_db()
    assert membership.status == "blocked"
    assert AuditLog.objects.get(action="membership.blocked").channel == "api"
    again = {
        "schemas": body["schemas"],
        "Operations": [{"op": "replace", "path": "active", "value": True}],
    }
    assert _send(client, "patch", f"Users/{membership.pk}", token, again).json()["active"]


def test_put_replaces_active(client, token, company, bob):
    membership = Membership.objects.get(user=bob, account=company)
    body = {**NEW_USER, "userName": "bob@example.com", "active": False}
    response = _send(client, "put", f"Users/{membership.pk}", token, body)
    assert response.status_code == 200 and response.json()["active"] is False


def test_delete_removes_the_membership(client, token, company, bob):
    membership = Membership.objects.get(user=bob, account=company)
    response = client.delete(
        f"/scim/v2/Users/{membership.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=bob.pk).exists()  # the person stays, only the place goes


def test_another_accounts_member_is_never_reached(client, token, other_company, charlie):
    theirs = Membership.objects.get(user=charlie, account=other_company)
    before = _state()
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    assert _send(client, "patch", f"Users/{theirs.pk}", token, body).status_code == 404
    response = client.delete(f"/scim/v2/Users/{theirs.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404
    assert _state() == before


def test_the_last_administrator_is_not_blocked(client, token, company, alice):
    membership = Membership.objects.get(user=alice, account=company)
    before = _state()
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    response = _send(client, "patch", f"Users/{membership.pk}", token, body)
    assert response.status_code == 400
    assert "only Account Administrator" in response.json()["detail"]
    assert _state() == before


def test_a_demoted_creators_token_changes_nothing(client, token, company, alice, bob, frank_admin):
    Membership.objects.filter(user=alice, account=company).update(role="member")
    membership = Membership.objects.get(user=bob, account=company)
    before = _state()
    response = client.delete(
        f"/scim/v2/Users/{membership.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 403
    assert _state() == before


@pytest.fixture
def frank_admin(company):
    user = factories.user_create("frank@example.com", "Frank", "Admin")
    return factories.membership_create(user, company, role=Membership.Role.ADMIN)


# --- What the IdP sent comes back; Entra ID's and Okta's requests ----------------------

FULL_USER = {
    "schemas": [USER, ENTERPRISE],
    "userName": "gina@mycompany.example",
    "externalId": "00u1AbC",
    "name": {"givenName": "Gina", "familyName": "Existing", "formatted": "Gina Existing"},
    "displayName": "Gina E.",
    "userType": "Employee",
    "title": "Engineer",
    "preferredLanguage": "de-CH",
    "active": True,
    "password": "never-kept-1",
    "emails": [{"value": "gina@mycompany.example", "type": "work", "primary": True}],
    "x509Certificates": [{"value": "TUlJQ2Z6Q0NBZWln"}],
    ENTERPRISE: {"employeeNumber": "701", "department": "R&D"},
}


def _post_full(client, token):
    response = _send(client, "post", "Users", token, FULL_USER)
    assert response.status_code == 201, response.content
    return response.json()


def test_what_the_idp_sent_comes_back_and_never_a_password(client, token, verified_domain):
    created = _post_full(client, token)
    again = _get(client, f"Users/{created['id']}", token).json()
    for body in (created, again):
        for key in ("externalId", "userType", "title", "preferredLanguage", "x509Certificates"):
            assert body[key] == FULL_USER[key], key
        assert body[ENTERPRISE] == {"employeeNumber": "701", "department": "R&D"}
        assert body["schemas"] == [USER, ENTERPRISE]
        assert "password" not in body
    stored = ScimUser.objects.get(membership_id=created["id"])
    assert "never-kept-1" not in json.dumps(stored.document)
    person = User.objects.get(email="gina@mycompany.example")
    assert (person.first_name, person.last_name) == ("Gina", "Existing")


def test_filter_external_id_is_case_exact_and_user_name_is_not(client, token, verified_domain):
    created = _post_full(client, token)
    found = _get(client, "Users", token, filter='externalId eq "00u1AbC"').json()
    assert [r["id"] for r in found["Resources"]] == [created["id"]]
    assert _get(client, "Users", token, filter='externalId eq "00u1abc"').json()["Resources"] == []
    by_name = _get(client, "Users", token, filter='userName eq "GINA@MyCompany.example"').json()
    assert [r["id"] for r in by_name["Resources"]] == [created["id"]]


def test_entra_patches_attributes_the_way_it_sends_them(client, token, verified_domain):
    created = _post_full(client, token)
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Add", "path": 'emails[type eq "home"].value', "value": "gina@home.example"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Sales"},
            {"op": "Replace", "path": "userName", "value": "Gina@MyCompany.example"},  # the same
            {"op": "Remove", "path": "title"},
        ],
    }
    response = _send(client, "patch", f"Users/{created['id']}", token, body)
    assert response.status_code == 200, response.content
    patched = _get(client, f"Users/{created['id']}", token).json()
    assert {"value": "gina@home.example", "type": "home"} in patched["emails"]
    assert patched[ENTERPRISE]["department"] == "Sales"
    assert "title" not in patched and patched["userName"] == "gina@mycompany.example"


@pytest.mark.parametrize(
    "method, body",
    [
        ("put", {**FULL_USER, "userName": "other@mycompany.example"}),
        (
            "patch",
            {
                "schemas": [PATCH_OP],
                "Operations": [
                    {"op": "replace", "path": "userName", "value": "x@mycompany.example"}
                ],
            },
        ),
    ],
)
def test_user_name_is_immutable(client, token, verified_domain, method, body):
    created = _post_full(client, token)
    before = (_state(), list(ScimUser.objects.values()))
    response = _send(client, method, f"Users/{created['id']}", token, body)
    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"
    assert (_state(), list(ScimUser.objects.values())) == before


def test_put_replaces_the_document_whole(client, token, verified_domain):
    created = _post_full(client, token)
    body = {"schemas": [USER], "userName": FULL_USER["userName"], "nickName": "G"}
    response = _send(client, "put", f"Users/{created['id']}", token, body)
    assert response.status_code == 200, response.content
    replaced = response.json()
    assert replaced["nickName"] == "G"
    assert "userType" not in replaced and ENTERPRISE not in replaced
    # active left unassigned: the member stays active, and the IdP reads back what it sent.
    assert "active" not in replaced
    assert Membership.objects.get(pk=created["id"]).status == "active"


def test_a_refused_block_keeps_the_old_document(client, token, company, alice):
    membership = Membership.objects.get(user=alice, account=company)
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "add", "path": "nickName", "value": "Al"},
            {"op": "replace", "path": "active", "value": False},  # the last administrator
        ],
    }
    assert _send(client, "patch", f"Users/{membership.pk}", token, body).status_code == 400
    assert not ScimUser.objects.filter(membership=membership).exists()
    assert "nickName" not in _get(client, f"Users/{membership.pk}", token).json()


def test_attributes_and_excluded_attributes_select_what_comes_back(
    client, token, company, alice, bob
):
    listed = _get(client, "Users", token, attributes="userName").json()
    assert {frozenset(r) for r in listed["Resources"]} == {frozenset({"schemas", "id", "userName"})}
    bob_id = Membership.objects.get(user=bob, account=company).pk
    one = _get(client, f"Users/{bob_id}", token, excludedAttributes="emails,name").json()
    assert "emails" not in one and "name" not in one and one["userName"] == "bob@example.com"


def test_post_search_reads_the_query_from_the_body(client, token, alice, bob, company):
    search = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    body = {"schemas": [search], "filter": 'userName eq "bob@example.com"', "attributes": ["id"]}
    found = _send(client, "post", "Users/.search", token, body).json()
    bob_id = str(Membership.objects.get(user=bob, account=company).pk)
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == bob_id
    everything = _send(client, "post", ".search", token, {"schemas": [search], "count": 1}).json()
    assert everything["totalResults"] == 2 and len(everything["Resources"]) == 1
    refused = _send(client, "post", ".search", token, {**body, "attributes": None})
    assert refused.status_code == 400 and refused.json()["scimType"] == "invalidFilter"


def test_another_accounts_token_never_reaches_these_users(
    client, token, company, alice, bob, charlie, other_company
):
    other = services.sso_scim_token_rotate(account=other_company, actor=charlie)
    bob_id = Membership.objects.get(user=bob, account=company).pk
    before = _state()
    put = {"schemas": [USER], "userName": "bob@example.com", "active": False}
    for response in (
        _get(client, f"Users/{bob_id}", other),
        _send(client, "put", f"Users/{bob_id}", other, put),
        client.delete(f"/scim/v2/Users/{bob_id}", HTTP_AUTHORIZATION=f"Bearer {other}"),
    ):
        assert response.status_code == 404 and response.json()["schemas"] == [ERROR]
    listed = _get(client, "Users", other).json()
    assert [r["userName"] for r in listed["Resources"]] == ["charlie@example.com"]
    found = _get(client, "Users", other, filter='userName eq "bob@example.com"').json()
    assert found["totalResults"] == 0
    assert _state() == before


def test_attributes_of_a_schema_the_server_does_not_define_are_kept(client, token, verified_domain):
    custom = "urn:okta:myaccount:1.0:user:custom"
    body = {**NEW_USER, "schemas": [USER, custom], custom: {"costCenter": "4711"}}
    response = _send(client, "post", "Users", token, body)
    assert response.status_code == 201, response.content
    again = _get(client, f"Users/{response.json()['id']}", token).json()
    assert again[custom] == {"costCenter": "4711"}


def test_removing_active_makes_a_blocked_member_active_again(client, token, company, dave):
    membership = Membership.objects.get(user=dave, account=company)
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "active"}]}
    response = _send(client, "patch", f"Users/{membership.pk}", token, body)
    assert response.status_code == 200, response.content
    assert "active" not in response.json()
    membership.refresh_from_db()
    assert membership.status == "active"
    assert AuditLog.objects.get(action="membership.unblocked").channel == "api"


def test_a_person_of_a_domain_another_account_verified_is_not_provisioned(
    client, token, verified_domain, other_company
):
    # other.example is verified, but by Other Corp: this account's IdP cannot provision it.
    SsoDomain.objects.create(
        account=other_company, domain="other.example", verified_at=timezone.now()
    )
    before = _state()
    response = _send(
        client, "post", "Users", token, {**NEW_USER, "userName": "Mallory@Other.example"}
    )
    assert response.status_code == 400 and response.json()["schemas"] == [ERROR]
    assert _state() == before
