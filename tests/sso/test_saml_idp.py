"""Step 2 with SAML 2.0: alice connects her company's SAML identity provider (pysaml2's,
a second process) from its metadata URL or its pasted XML; the page shows what she
gives the IdP (the portal's entity ID, ACS URL and metadata). Bad metadata, or a URL
that does not answer, is refused and changes nothing."""

from __future__ import annotations

import socket

import pytest
import requests
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from accounts.models import AuditLog
from sso.models import SsoConfig
from tests.sso.conftest import IDP_CLIENT_ID, IDP_CLIENT_SECRET

pytestmark = pytest.mark.django_db
PAGE = "/account/business/sso/"


def _save(client, metadata_url="", metadata_xml=""):
    return client.post(
        reverse("sso_saml_idp_save"),
        {"metadata_url": metadata_url, "metadata_xml": metadata_xml},
    )


def _snapshot():
    return (
        list(SocialApp.objects.values()),
        list(SsoConfig.objects.values()),
        AuditLog.objects.count(),
    )


def test_connecting_from_the_metadata_url_makes_the_accounts_saml_app(
    alice_client, alice, company, saml_provider, settings
):
    response = _save(alice_client, metadata_url=saml_provider.metadata_url)
    assert response.status_code == 302, response.content.decode()[:3000]
    app = SocialApp.objects.get()
    slug = f"sso-{company.pk}"
    assert (app.provider, app.provider_id, app.client_id) == ("saml", slug, slug)
    assert app.settings["idp"]["entity_id"] == saml_provider.metadata_url
    assert app.settings["idp"]["sso_url"] == f"{saml_provider.base}/sso"
    assert app.settings["idp"]["x509cert"]
    # Signed responses and assertions, strict, no unsolicited (IdP-initiated) sign-in.
    advanced = app.settings["advanced"]
    assert advanced["strict"] and advanced["want_message_signed"]
    assert advanced["want_assertion_signed"] and advanced["reject_idp_initiated_sso"]
    assert app.settings["hidden"]
    assert SsoConfig.objects.get(account=company).social_app == app
    entry = AuditLog.objects.get(action="sso.idp_saved")
    assert entry.actor == alice and entry.data["protocol"] == "saml"

    page = alice_client.get(PAGE)
    assert {s.key: s for s in page.context["steps"]}["idp"].done
    body = page.content.decode()
    entity_id = f"{settings.SITE_URL}/accounts/saml/{slug}/metadata/"
    assert f'<code class="saml-entity-id">{entity_id}</code>' in body
    assert (
        f'<code class="saml-acs-url">{settings.SITE_URL}/accounts/saml/{slug}/acs/</code>' in body
    )
    assert f'class="saml-metadata" href="{entity_id}"' in body
    # The portal's metadata, for the IdP: its entity id and ACS URL.
    metadata = alice_client.get(f"/accounts/saml/{slug}/metadata/", HTTP_HOST="testserver")
    assert metadata.status_code == 200
    xml = metadata.content.decode()
    assert f'entityID="{entity_id}"' in xml and f"/accounts/saml/{slug}/acs/" in xml


def test_pasted_metadata_connects_the_same_way(alice_client, company, saml_provider):
    xml = requests.get(saml_provider.metadata_url, timeout=10).text
    assert _save(alice_client, metadata_xml=xml).status_code == 302
    app = SocialApp.objects.get()
    assert app.provider == "saml"
    assert app.settings["idp"]["entity_id"] == saml_provider.metadata_url
    assert app.settings["metadata_url"] == ""


def test_the_app_is_not_a_social_button_on_the_sign_in_page(client, alice_client, saml_provider):
    _save(alice_client, metadata_url=saml_provider.metadata_url)
    assert "/accounts/saml/" not in client.get(reverse("account_login")).content.decode()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("metadata_url", "metadata_xml", "message"),
    [
        ("", "", "one of the two"),
        ("https://idp.example/metadata", "<x/>", "one of the two"),
        ("not a url", "", "Enter the metadata URL"),
        ("http://idp.example/metadata", "", "Enter the metadata URL"),  # http only on loopback
        ("", "<EntityDescriptor", "is not the SAML 2.0 metadata"),  # not XML
        ("", "<html><body>Sign in</body></html>", "is not the SAML 2.0 metadata"),
        (
            "",
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'entityID="https://sp.example"><md:SPSSODescriptor '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
            "</md:EntityDescriptor>",
            "is not the SAML 2.0 metadata",  # a service provider's, not an IdP's
        ),
        (
            "",
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "is not the SAML 2.0 metadata",
        ),
    ],
)
def test_bad_metadata_is_refused_and_changes_nothing(
    alice_client, metadata_url, metadata_xml, message
):
    before = _snapshot()
    response = _save(alice_client, metadata_url=metadata_url, metadata_xml=metadata_xml)
    assert response.status_code == 200
    assert response.context["saml_form"].errors
    assert message in response.content.decode()
    assert response.context["protocol"] == "saml"  # the SAML form stays open
    assert _snapshot() == before


def test_a_metadata_url_that_does_not_answer_or_is_no_metadata_is_refused(
    alice_client, saml_provider
):
    before = _snapshot()
    response = _save(alice_client, metadata_url=f"http://127.0.0.1:{_closed_port()}/metadata")
    assert "could not be read" in response.content.decode()
    response = _save(alice_client, metadata_url=f"{saml_provider.base}/nothing-here")
    assert "could not be read" in response.content.decode()
    assert _snapshot() == before


def test_a_regular_member_cannot_connect_a_saml_idp(bob_client, saml_provider):
    before = _snapshot()
    assert _save(bob_client, metadata_url=saml_provider.metadata_url).status_code == 403
    assert _snapshot() == before


def test_switching_between_saml_and_openid_connect_keeps_one_app(
    alice_client, company, saml_provider, oidc_provider
):
    _save(alice_client, metadata_url=saml_provider.metadata_url)
    saml_app = SocialApp.objects.get()
    # Back to OpenID Connect: a client secret is needed again (SAML kept none).
    response = alice_client.post(
        reverse("sso_idp_save"),
        {"issuer": oidc_provider.issuer, "client_id": IDP_CLIENT_ID, "client_secret": ""},
    )
    assert response.context["idp_form"].errors["client_secret"]
    assert SocialApp.objects.get().provider == "saml"
    alice_client.post(
        reverse("sso_idp_save"),
        {
            "issuer": oidc_provider.issuer,
            "client_id": IDP_CLIENT_ID,
            "client_secret": IDP_CLIENT_SECRET,
        },
    )
    app = SocialApp.objects.get()
    assert app.pk == saml_app.pk
    assert (app.provider, app.provider_id, app.client_id) == (
        "openid_connect",
        f"sso-{company.pk}",
        IDP_CLIENT_ID,
    )
    assert app.settings == {"server_url": oidc_provider.issuer, "hidden": True}
    page = alice_client.get(PAGE)
    assert page.context["protocol"] == "oidc"
