"""/license-keys/{key}/administrators/: alice lists, adds and removes a key's License
Administrators over the API; everyone else is refused and nothing changes."""

from __future__ import annotations

import pytest

from accounts.models import AuditLog, Membership
from subscriptions.models import LicenseKeyAdministrator
from tests.api.conftest import api_client, token_for

pytestmark = pytest.mark.django_db


def _url(key, member=None) -> str:
    base = (
        f"/api/v1/accounts/{key.subscription.account_id}/subscriptions/"
        f"{key.subscription_id}/license-keys/{key.pk}/administrators/"
    )
    return f"{base}{member.pk}/" if member else base


def _held() -> list[tuple[str, int]]:
    return sorted(
        LicenseKeyAdministrator.objects.values_list("membership__user__email", "license_key_id")
    )


def test_alice_adds_lists_and_removes(alice, bob, lena, company, lena_key):
    client = api_client(token_for(alice))
    bob_m = Membership.objects.get(user=bob, account=company)
    response = client.post(_url(lena_key), {"member_ids": [bob_m.pk]}, format="json")
    assert response.status_code == 200, response.content
    assert [a["email"] for a in response.json()["results"]] == [
        "bob@example.com",
        "lena@example.com",
    ]
    assert client.get(_url(lena_key)).json() == response.json()
    assert client.delete(_url(lena_key, bob_m)).status_code == 204
    assert client.delete(_url(lena_key, bob_m)).status_code == 404
    assert _held() == [("lena@example.com", lena_key.pk)]
    assert [e.channel for e in AuditLog.objects.filter(action__startswith="license_key.admin")] == [
        "api",
        "api",
    ]


@pytest.mark.parametrize("member_ids", [[], [999999], ["x"], "bob"])
def test_bad_input_is_a_clear_400(alice, lena, lena_key, member_ids):
    before = _held()
    response = api_client(token_for(alice)).post(
        _url(lena_key), {"member_ids": member_ids}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"]
    assert _held() == before


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("lena", 404), ("charlie", 404)])
def test_others_are_refused(request, who, status, bob, lena, company, lena_key):
    client = api_client(token_for(request.getfixturevalue(who)))
    bob_m = Membership.objects.get(user=bob, account=company)
    lena_m = Membership.objects.get(user=lena, account=company)
    before = _held()
    assert client.get(_url(lena_key)).status_code == status
    assert (
        client.post(_url(lena_key), {"member_ids": [bob_m.pk]}, format="json").status_code == status
    )
    assert client.delete(_url(lena_key, lena_m)).status_code == status
    assert _held() == before


def test_one_administrator_reads_until_removed(alice, lena, company, lena_key):
    client = api_client(token_for(alice))
    lena_m = Membership.objects.get(user=lena, account=company)
    assert client.get(_url(lena_key, lena_m)).json() == {
        "member_id": lena_m.pk,
        "email": "lena@example.com",
        "name": "Lena Keys",
    }
    client.delete(_url(lena_key, lena_m))
    assert client.get(_url(lena_key, lena_m)).status_code == 404
