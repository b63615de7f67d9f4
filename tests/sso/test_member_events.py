"""The member events' `via`, as a receiver gets them: gina joins just in time through the
IdP (sso), the IdP's provisioning creates, blocks and deletes people (scim), alice blocks
erin on the Users page (portal) and nina accepts an invitation (invitation)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.services import invitation_accept
from sso import services
from tests import factories
from tests.sso.conftest import continue_with_sso, scim_call
from tests.webhooks.conftest import (  # noqa: F401 - fixtures
    _webhook_settings,
    endpoint_make,
    receiver,
    receiver_factory,
)
from webhooks.tasks import webhooks_sweep_task

pytestmark = pytest.mark.django_db(transaction=True)
MEMBER_EVENTS = [
    "member.invited",
    "member.joined",
    "member.role_changed",
    "member.blocked",
    "member.removed",
]


def _delivered(at, secret) -> list[tuple[str, str, str]]:
    webhooks_sweep_task()
    return [(e["type"], e["data"]["member"]["email"], e["data"]["via"]) for e in at.events(secret)]


def test_every_member_event_says_how_it_came_about(
    alice,
    alice_client,
    sso_company,
    erin,
    receiver,  # noqa: F811 - the fixture imported above
):
    endpoint, secret = endpoint_make(sso_company, alice, receiver.url, MEMBER_EVENTS)
    scim = services.sso_scim_token_rotate(account=sso_company, actor=alice)

    assert continue_with_sso(Client(), "gina@mycompany.example").status_code == 302
    created = scim_call(
        "POST",
        "Users",
        scim,
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ivan@mycompany.example",
        },
    )
    assert created.status_code == 201
    ivan = created.json()["id"]
    services.sso_roles_save(
        account=sso_company, actor=alice, admin_claim="groups", admin_group="Admins"
    )
    admins = scim_call("GET", "Groups", scim).json()["Resources"][0]["id"]
    add_ivan = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": ivan}]}],
    }
    assert scim_call("PATCH", f"Groups/{admins}", scim, add_ivan).status_code in (200, 204)
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    assert scim_call("PATCH", f"Users/{ivan}", scim, patch).status_code == 200
    assert scim_call("DELETE", f"Users/{ivan}", scim).status_code == 204
    erin_membership = Membership.objects.get(user=erin, account=sso_company)
    assert (
        alice_client.post(reverse("membership_block", args=[erin_membership.pk])).status_code == 302
    )
    _, token = factories.invitation_create(sso_company, "nina@example.com", alice)
    invitation_accept(token=token, name="Nina New", password="a-long-unusual-passphrase")

    assert _delivered(receiver, secret) == [
        ("member.joined", "gina@mycompany.example", "sso"),
        ("member.joined", "ivan@mycompany.example", "scim"),
        ("member.role_changed", "ivan@mycompany.example", "scim"),
        ("member.blocked", "ivan@mycompany.example", "scim"),
        ("member.removed", "ivan@mycompany.example", "scim"),
        ("member.blocked", "erin@mycompany.example", "portal"),
        ("member.joined", "nina@example.com", "invitation"),
    ]
