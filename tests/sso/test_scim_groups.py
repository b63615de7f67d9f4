"""SCIM Groups at /scim/v2/Groups: My Company named "Parallels Admins" on the SSO page's
Roles step, so that group's members are its Account Administrators. Entra ID and Okta
push it (and others) with the operations they actually send; alice created the token,
so SCIM acts as her; Other Corp's token never reaches any of it."""

from __future__ import annotations

import json

import pytest

from accounts.models import AuditLog, AuditOutbox, Membership
from sso import services
from sso.models import ScimGroup, scim_admin_group_id
from tests import factories
from tests.sso.test_scim import ERROR, GROUP, PATCH_OP, SCIM

pytestmark = pytest.mark.django_db
ADMINS = "Parallels Admins"


@pytest.fixture
def token(alice, company):
    services.sso_roles_save(account=company, actor=alice, admin_claim="groups", admin_group=ADMINS)
    return services.sso_scim_token_rotate(account=company, actor=alice)


@pytest.fixture
def other_token(charlie, other_company):
    return services.sso_scim_token_rotate(account=other_company, actor=charlie)


@pytest.fixture
def frank(company):
    user = factories.user_create("frank@example.com", "Frank", "Admin")
    return factories.membership_create(user, company, role=Membership.Role.ADMIN)


def _member(user, account) -> Membership:
    return Membership.objects.get(user=user, account=account)


def _call(client, method, path, token, body=None, **params):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        return getattr(client, method)(
            f"/scim/v2/{path}", json.dumps(body), content_type=SCIM, **kwargs
        )
    return getattr(client, method)(f"/scim/v2/{path}", params, **kwargs)


def _patch(client, group_id, token, *operations):
    body = {"schemas": [PATCH_OP], "Operations": list(operations)}
    return _call(client, "patch", f"Groups/{group_id}", token, body)


def _admin_id(company) -> str:
    return str(scim_admin_group_id(company.pk))


def _roles(company) -> dict[str, str]:
    members = Membership.objects.filter(account=company).select_related("user")
    return {m.user.email: m.role for m in members}


def _state():
    return (
        list(Membership.objects.order_by("pk").values("pk", "role", "status")),
        list(ScimGroup.objects.order_by("pk").values()),
        AuditLog.objects.count(),
    )


def test_the_administrators_group_lists_the_account_administrators(
    client, token, company, alice, bob, frank
):
    body = _call(client, "get", "Groups", token).json()
    assert body["totalResults"] == 1
    [admins] = body["Resources"]
    assert admins["id"] == _admin_id(company) and admins["displayName"] == ADMINS
    assert [m["value"] for m in admins["members"]] == [
        str(_member(alice, company).pk),
        str(frank.pk),
    ]
    assert admins["members"][0]["display"] == "alice@example.com"
    # An administrator's User names the group; a Regular Member's names none.
    alice_user = _call(client, "get", f"Users/{_member(alice, company).pk}", token).json()
    assert alice_user["groups"][0]["value"] == admins["id"]
    assert "groups" not in _call(client, "get", f"Users/{_member(bob, company).pk}", token).json()


@pytest.mark.parametrize("name", [ADMINS, "parallels admins"])
def test_filter_display_name_finds_it_as_idps_look_it_up(client, token, company, alice, name):
    body = _call(
        client,
        "get",
        "Groups",
        token,
        filter=f'displayName eq "{name}"',
        excludedAttributes="members",
    ).json()
    assert [r["id"] for r in body["Resources"]] == [_admin_id(company)]
    assert "members" not in body["Resources"][0]
    none = _call(client, "get", "Groups", token, filter='displayName eq "Sales"').json()
    assert none["totalResults"] == 0


def test_without_a_roles_step_there_is_no_administrators_group(client, alice, company):
    token = services.sso_scim_token_rotate(account=company, actor=alice)
    assert _call(client, "get", "Groups", token).json()["totalResults"] == 0
    response = _call(client, "get", f"Groups/{_admin_id(company)}", token)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "add",
    [
        {"op": "add", "path": "members", "value": [{"value": "{bob}"}]},  # Okta
        {"op": "Add", "path": "members", "value": [{"value": "{bob}"}]},  # Entra ID
    ],
)
def test_adding_a_member_makes_an_account_administrator(client, token, company, alice, bob, add):
    bob_id = str(_member(bob, company).pk)
    add = json.loads(json.dumps(add).replace("{bob}", bob_id))
    response = _patch(client, _admin_id(company), token, add)
    assert response.status_code == 200, response.content
    assert bob_id in {m["value"] for m in response.json()["members"]}
    assert _roles(company)["bob@example.com"] == "admin"
    # Audited as the page's role change is, by the token's creator, and handed to the
    # webhooks' outbox in the same transaction.
    entry = AuditLog.objects.get(action="membership.role_changed", target_label="bob@example.com")
    assert (entry.actor, entry.channel, entry.data["role"]) == (alice, "api", ["member", "admin"])
    assert AuditOutbox.objects.filter(entry=entry).exists()


@pytest.mark.parametrize(
    "remove",
    [
        {"op": "remove", "path": 'members[value eq "{frank}"]'},  # Okta
        {"op": "Remove", "path": "members", "value": [{"value": "{frank}"}]},  # Entra ID
    ],
)
def test_removing_a_member_demotes_to_regular_member(client, token, company, alice, frank, remove):
    remove = json.loads(json.dumps(remove).replace("{frank}", str(frank.pk)))
    response = _patch(client, _admin_id(company), token, remove)
    assert response.status_code == 200, response.content
    assert [m["value"] for m in response.json()["members"]] == [str(_member(alice, company).pk)]
    assert _roles(company)["frank@example.com"] == "member"
    entry = AuditLog.objects.get(action="membership.role_changed")
    assert entry.data["role"] == ["admin", "member"] and entry.channel == "api"


def test_okta_replaces_the_members_promoting_first(client, token, company, alice, bob, frank):
    members = [{"value": str(_member(alice, company).pk)}, {"value": str(_member(bob, company).pk)}]
    response = _patch(
        client, _admin_id(company), token, {"op": "replace", "path": "members", "value": members}
    )
    assert response.status_code == 200, response.content
    assert _roles(company) == {
        "alice@example.com": "admin",
        "bob@example.com": "admin",
        "frank@example.com": "member",
    }


def test_entra_replaces_with_a_value_object_without_path(client, token, company, alice, bob):
    gid = _admin_id(company)
    bob_id = str(_member(bob, company).pk)
    value = {"id": gid, "displayName": ADMINS, "externalId": "entra-42"}
    response = _patch(client, gid, token, {"op": "Replace", "value": value})
    assert response.status_code == 200, response.content
    assert response.json()["externalId"] == "entra-42"
    found = _call(client, "get", "Groups", token, filter='externalId eq "entra-42"').json()
    assert [r["id"] for r in found["Resources"]] == [gid]
    members = {"members": [{"value": str(_member(alice, company).pk)}, {"value": bob_id}]}
    assert _patch(client, gid, token, {"op": "Replace", "value": members}).status_code == 200
    assert _roles(company)["bob@example.com"] == "admin"


def test_the_last_administrator_stays_and_nothing_changes(client, token, company, alice, bob):
    before = _state()
    alice_id = str(_member(alice, company).pk)
    response = _patch(
        client,
        _admin_id(company),
        token,
        {"op": "remove", "path": f'members[value eq "{alice_id}"]'},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["schemas"] == [ERROR] and "only Account Administrator" in body["detail"]
    assert _state() == before


def test_the_tokens_creator_stays_an_administrator(client, token, company, alice, frank):
    before = _state()
    response = _patch(
        client,
        _admin_id(company),
        token,
        {"op": "replace", "path": "members", "value": [{"value": str(frank.pk)}]},
    )
    assert response.status_code == 400
    assert "created the SCIM token" in response.json()["detail"]
    assert _state() == before  # alice stays, and frank's place too


def test_a_patch_is_whole_or_nothing(client, token, company, alice, bob, charlie, other_company):
    before = _state()
    response = _patch(
        client,
        _admin_id(company),
        token,
        {"op": "add", "path": "members", "value": [{"value": str(_member(bob, company).pk)}]},
        # Another account's member: refused, and bob's promotion with it.
        {
            "op": "add",
            "path": "members",
            "value": [{"value": str(_member(charlie, other_company).pk)}],
        },
    )
    assert response.status_code == 400 and response.json()["schemas"] == [ERROR]
    assert "is not a user of this business account" in response.json()["detail"]
    assert _state() == before


def test_creating_the_administrators_group_connects_it(client, token, company, alice, bob, frank):
    body = {
        "schemas": [GROUP],
        "displayName": ADMINS.upper(),
        "externalId": "okta-7",
        "members": [{"value": str(_member(bob, company).pk)}],
    }
    response = _call(client, "post", "Groups", token, body)
    assert response.status_code == 201, response.content
    assert response.json()["id"] == _admin_id(company)
    assert response["Location"].endswith(f"/scim/v2/Groups/{_admin_id(company)}")
    # bob joins; nobody the IdP did not name is demoted by a creation.
    assert _roles(company) == {
        "alice@example.com": "admin",
        "bob@example.com": "admin",
        "frank@example.com": "admin",
    }


def test_put_makes_the_members_exact(client, token, company, alice, bob, frank):
    gid = _admin_id(company)
    alice_id, bob_id = str(_member(alice, company).pk), str(_member(bob, company).pk)
    body = {
        "schemas": [GROUP],
        "displayName": ADMINS,
        "members": [{"value": alice_id}, {"value": bob_id}],
    }
    assert _call(client, "put", f"Groups/{gid}", token, body).status_code == 200
    assert _roles(company) == {
        "alice@example.com": "admin",
        "bob@example.com": "admin",
        "frank@example.com": "member",
    }
    # Without members, a PUT leaves the roles as they are.
    bare = {"schemas": [GROUP], "displayName": ADMINS}
    assert _call(client, "put", f"Groups/{gid}", token, bare).status_code == 200
    assert _roles(company)["bob@example.com"] == "admin"


@pytest.mark.parametrize("method", ["rename", "delete"])
def test_the_administrators_group_is_neither_renamed_nor_deleted(
    client, token, company, alice, frank, method
):
    before = _state()
    gid = _admin_id(company)
    if method == "delete":
        response = _call(client, "delete", f"Groups/{gid}", token)
    else:
        response = _patch(
            client, gid, token, {"op": "replace", "path": "displayName", "value": "X"}
        )
    assert response.status_code == 400 and response.json()["schemas"] == [ERROR]
    assert "administrators' group" in response.json()["detail"]
    assert _state() == before


def test_other_groups_are_kept_as_sent_and_give_no_role(client, token, company, alice, bob):
    bob_id = str(_member(bob, company).pk)
    body = {
        "schemas": [GROUP],
        "displayName": "Sales",
        "externalId": "okta-sales",
        "members": [{"value": bob_id, "display": "Bob"}],
    }
    response = _call(client, "post", "Groups", token, body)
    assert response.status_code == 201, response.content
    sales = response.json()
    assert sales["members"] == [{"value": bob_id, "display": "Bob"}]
    assert _roles(company)["bob@example.com"] == "member"
    listed = _call(client, "get", "Groups", token).json()
    assert [r["displayName"] for r in listed["Resources"]] == [ADMINS, "Sales"]
    # The same name again (any case), or the administrators' name for another group:
    # SCIM's uniqueness error, nothing stored.
    before = _state()
    again = _call(client, "post", "Groups", token, {**body, "displayName": "SALES"})
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    rename = _patch(
        client, sales["id"], token, {"op": "replace", "path": "displayName", "value": ADMINS}
    )
    assert rename.status_code == 409
    assert _state() == before
    # When bob leaves the account, he leaves the group.
    assert _call(client, "delete", f"Users/{bob_id}", token).status_code == 204
    assert "members" not in _call(client, "get", f"Groups/{sales['id']}", token).json()
    assert _call(client, "delete", f"Groups/{sales['id']}", token).status_code == 204
    assert _call(client, "get", f"Groups/{sales['id']}", token).status_code == 404


def test_another_accounts_token_never_reaches_these_groups(
    client, token, other_token, company, alice, bob
):
    sales = _call(client, "post", "Groups", token, {"schemas": [GROUP], "displayName": "Sales"})
    before = _state()
    bob_id = str(_member(bob, company).pk)
    add = {"op": "add", "path": "members", "value": [{"value": bob_id}]}
    for gid in (_admin_id(company), sales.json()["id"]):
        for response in (
            _call(client, "get", f"Groups/{gid}", other_token),
            _patch(client, gid, other_token, add),
            _call(
                client,
                "put",
                f"Groups/{gid}",
                other_token,
                {"schemas": [GROUP], "displayName": "x"},
            ),
            _call(client, "delete", f"Groups/{gid}", other_token),
        ):
            assert response.status_code == 404 and response.json()["schemas"] == [ERROR]
    assert _call(client, "get", "Groups", other_token).json()["totalResults"] == 0
    assert _state() == before


def test_the_groups_list_reads_the_same_queries_at_one_and_many(
    client, token, company, alice, bob, django_assert_num_queries
):
    def team(n: int, people: list[Membership]) -> None:
        members = [{"value": str(p.pk)} for p in people]
        ScimGroup.objects.create(
            account=company, display_name=f"Team {n}", document={"members": members}
        )

    team(0, [_member(bob, company)])
    # The token's configuration (with the account), the administrators' group's row and
    # its members, the other groups' count, their page, and which of their members are
    # still the account's: 6.
    with django_assert_num_queries(6):
        assert _call(client, "get", "Groups", token).json()["totalResults"] == 2
    people = [
        factories.membership_create(factories.user_create(f"g{n}@example.com"), company)
        for n in range(10)
    ]
    for n in range(1, 11):
        team(n, people)
    with django_assert_num_queries(6):
        assert _call(client, "get", "Groups", token).json()["totalResults"] == 12
