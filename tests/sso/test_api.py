"""Single sign-on over the REST API, read-only: alice (Account Administrator of My Company)
reads its configuration and domains; bob, a Regular Member, is refused (403); charlie,
of Other Corp, does not see that the account exists (404). Never a secret."""

from __future__ import annotations

import pytest

from sso import services
from sso.models import SsoDomain
from tests.api.conftest import api_client, base, token_for
from tests.sso.conftest import IDP_CLIENT_ID, IDP_CLIENT_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_api(alice):
    return api_client(token_for(alice))


def test_alice_reads_the_configuration_and_never_a_secret(alice, alice_api, sso_company, settings):
    scim_token = services.sso_scim_token_rotate(account=sso_company, actor=alice)
    services.sso_enforcement_save(
        account=sso_company, actor=alice, require_sso=True, break_glass=alice
    )
    response = alice_api.get(f"{base(sso_company)}/sso/")
    assert response.status_code == 200
    body = response.json()
    issuer = body.pop("issuer")
    assert issuer.startswith("http://127.0.0.1:")
    assert body.pop("scim_token_created_at") and body.pop("updated_at")
    assert body == {
        "protocol": "oidc",
        "client_id": IDP_CLIENT_ID,
        "redirect_uri": f"{settings.SITE_URL}/accounts/oidc/sso-{sso_company.pk}/login/callback/",
        "idp_entity_id": None,
        "idp_metadata_url": None,
        "entity_id": f"{settings.SITE_URL}/accounts/saml/sso-{sso_company.pk}/metadata/",
        "acs_url": f"{settings.SITE_URL}/accounts/saml/sso-{sso_company.pk}/acs/",
        "admin_claim": "groups",
        "admin_group": "Parallels Business Account Admins",
        "require_sso": True,
        "break_glass": "alice@example.com",
    }
    text = response.content.decode()
    assert IDP_CLIENT_SECRET not in text and scim_token not in text


def test_a_saml_provider_reads_with_its_entity_ids_and_no_oidc_fields(
    alice, alice_api, company, saml_provider, settings
):
    from sso.saml import sso_saml_idp_save

    sso_saml_idp_save(account=company, actor=alice, metadata_url=saml_provider.metadata_url)
    body = alice_api.get(f"{base(company)}/sso/").json()
    slug = f"sso-{company.pk}"
    assert {k: body[k] for k in ("protocol", "issuer", "client_id")} == {
        "protocol": "saml",
        "issuer": None,
        "client_id": None,
    }
    assert body["idp_entity_id"] == body["idp_metadata_url"] == saml_provider.metadata_url
    assert body["entity_id"] == f"{settings.SITE_URL}/accounts/saml/{slug}/metadata/"
    assert body["acs_url"] == f"{settings.SITE_URL}/accounts/saml/{slug}/acs/"
    assert "x509cert" not in body and "BEGIN CERTIFICATE" not in str(body)


def test_an_account_without_sso_reads_as_not_configured(alice_api, company, settings):
    body = alice_api.get(f"{base(company)}/sso/").json()
    assert (body["protocol"], body["issuer"], body["client_id"]) == (None, None, None)
    assert (body["require_sso"], body["break_glass"], body["scim_token_created_at"]) == (
        False,
        None,
        None,
    )
    assert alice_api.get(f"{base(company)}/sso/domains/").json() == {"results": []}


def test_alice_reads_the_domains_verified_and_pending(alice, alice_api, sso_company):
    pending = services.sso_domain_add(account=sso_company, actor=alice, domain="Branch.Example")
    response = alice_api.get(f"{base(sso_company)}/sso/domains/")
    assert response.status_code == 200
    [branch, verified] = response.json()["results"]
    assert branch == {
        "id": pending.pk,
        "name": "branch.example",
        "status": "pending",
        "verified_at": None,
        "last_checked": None,
        "txt_record": f"myaccount-verification={pending.token}",
    }
    assert (verified["name"], verified["status"]) == ("mycompany.example", "verified")
    assert verified["verified_at"] and verified["txt_record"].startswith("myaccount-verification=")


@pytest.mark.parametrize("path", ["/sso/", "/sso/domains/"])
def test_a_regular_member_is_refused_in_the_standard_shape(bob, company, path):
    response = api_client(token_for(bob)).get(base(company) + path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_admin"


@pytest.mark.parametrize("path", ["/sso/", "/sso/domains/"])
def test_another_accounts_administrator_gets_404(charlie, company, path):
    response = api_client(token_for(charlie)).get(base(company) + path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/sso/", "/sso/domains/"])
def test_without_a_token_it_is_401(company, path):
    assert api_client(None).get(base(company) + path).status_code == 401


@pytest.mark.parametrize("count", [1, 25])
def test_the_domains_take_the_same_queries_at_1_and_many(
    alice, alice_api, company, count, django_assert_num_queries
):
    for n in range(count):
        services.sso_domain_add(account=company, actor=alice, domain=f"site{n}.example")
    # 1. the token and its owner; 2. the SSO domain of her address (is she deprovisioned:
    # no account verified example.com, so nothing more); 3. alice's membership; 4. the
    # domains.
    with django_assert_num_queries(4):
        response = alice_api.get(f"{base(company)}/sso/domains/")
    assert len(response.json()["results"]) == count == SsoDomain.objects.count()


def test_the_configuration_takes_four_queries(
    alice, alice_api, sso_company, django_assert_num_queries
):
    services.sso_enforcement_save(
        account=sso_company, actor=alice, require_sso=True, break_glass=alice
    )
    # 1. the token and its owner; 2. the SSO domain of her address; 3. alice's membership;
    # 4. the configuration with its identity provider app and break-glass administrator.
    with django_assert_num_queries(4):
        assert alice_api.get(f"{base(sso_company)}/sso/").status_code == 200
