"""Continue with SSO through a SAML 2.0 identity provider (pysaml2's IdP, a second
process that signs its responses with xmlsec1): the same path as OpenID Connect — the
person is created just in time in the business account, with the role the `groups`
attribute gives — and every response that is not the IdP's own, signed, fresh answer to
this portal's request is refused with a clear page and changes nothing.

My Company verified mycompany.example and connected the SAML IdP; its administrators'
group is "Parallels Business Account Admins". At the IdP: erin (no group), frank (in
the group), gina (who already has a portal user), mallory@other.example."""

from __future__ import annotations

import base64
import re

import pytest
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog, Membership, User
from sso import services
from tests import factories
from tests.sso.conftest import saml_idp_sign_in, saml_post, saml_start

pytestmark = pytest.mark.django_db

REFUSED = "answer was refused"


def _sign_in(client, email, *, as_email=None, **misbehave):
    acs, form = saml_idp_sign_in(saml_start(client, email), email=as_email or email, **misbehave)
    return saml_post(client, acs, form)


def _snapshot():
    return (
        User.objects.count(),
        Membership.objects.count(),
        SocialAccount.objects.count(),
        AuditLog.objects.count(),
        UserSession.objects.count(),
    )


def _signed_in(client) -> bool:
    return client.get(reverse("dashboard")).wsgi_request.user.is_authenticated


def test_a_first_sign_in_creates_the_person_in_the_business_account(client, saml_company):
    response = _sign_in(client, "Erin@MyCompany.example", as_email="erin@mycompany.example")
    assert response.status_code == 302, response.content.decode()[:2000]
    erin = User.objects.get(email="erin@mycompany.example")
    assert (erin.first_name, erin.last_name) == ("Erin", "Engineer")
    membership = Membership.objects.get(user=erin, account=saml_company)
    assert (membership.role, membership.status) == ("member", "active")
    assert erin.emailaddress_set.get().verified
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert dashboard.wsgi_request.account == saml_company
    entry = AuditLog.objects.get(action="membership.created", target_label=erin.email)
    assert entry.data == {"role": "member", "via": "sso"}
    account = SocialAccount.objects.get(user=erin)
    assert (account.provider, account.uid) == (f"sso-{saml_company.pk}", erin.email)


def test_a_member_of_the_admins_group_becomes_an_account_administrator(client, saml_company):
    _sign_in(client, "frank@mycompany.example")
    frank = User.objects.get(email="frank@mycompany.example")
    assert Membership.objects.get(user=frank, account=saml_company).role == "admin"


def test_the_role_follows_the_groups_attribute_at_every_sign_in(
    client, saml_company, saml_provider
):
    _sign_in(client, "frank@mycompany.example")
    membership = Membership.objects.get(user__email="frank@mycompany.example", account=saml_company)
    assert membership.role == "admin"
    other = Client(HTTP_HOST="testserver")
    with saml_provider.without_groups("frank@mycompany.example"):
        _sign_in(other, "frank@mycompany.example")
    membership.refresh_from_db()
    assert membership.role == "member"
    entry = AuditLog.objects.get(action="membership.role_changed")
    # The same entry as a role changed on the Users page, by the API or by SCIM.
    assert entry.data == {"role": ["admin", "member"], "notes_changed": False, "via": "sso"}


def test_an_existing_user_is_linked_once_the_idp_asserts_the_address(client, saml_company):
    gina = factories.user_create("gina@mycompany.example", "Gina", "Existing")
    _sign_in(client, "gina@mycompany.example")
    assert User.objects.filter(email="gina@mycompany.example").count() == 1
    assert SocialAccount.objects.get(user=gina).provider == f"sso-{saml_company.pk}"
    assert Membership.objects.get(user=gina, account=saml_company).role == "member"
    assert client.get(reverse("dashboard")).wsgi_request.user == gina


def test_an_address_outside_the_verified_domains_is_refused_and_changes_nothing(
    client, saml_company
):
    # The person types a company address, but the IdP signs in someone of another domain.
    before = _snapshot()
    response = _sign_in(client, "erin@mycompany.example", as_email="mallory@other.example")
    assert response.status_code == 403
    assert "has not verified" in response.content.decode()
    assert _snapshot() == before
    assert not _signed_in(client)


def test_with_sso_required_the_saml_sign_in_is_the_way_in(client, saml_company, alice):
    services.sso_enforcement_save(
        account=saml_company, actor=alice, require_sso=True, break_glass=None
    )
    gina = factories.user_create("gina@mycompany.example", "Gina", "Existing")
    password = Client()
    response = password.post(
        reverse("account_login"), {"login": gina.email, "password": factories.PASSWORD}
    )
    assert "requires you to sign in with single sign-on" in response.content.decode()
    assert _sign_in(client, "gina@mycompany.example").status_code == 302
    assert client.get(reverse("dashboard")).wsgi_request.user == gina


# --- Refused responses ----------------------------------------------------------------


def _erins_response(client):
    """erin continues with SSO and signs in at the IdP: the ACS URL and the signed
    response her browser would post there (for a test to post as it is, or altered)."""
    return saml_idp_sign_in(
        saml_start(client, "erin@mycompany.example"), email="erin@mycompany.example"
    )


def _response_xml(form: dict) -> str:
    return base64.b64decode(form["SAMLResponse"]).decode()


def _with_xml(form: dict, xml: str) -> dict:
    return {**form, "SAMLResponse": base64.b64encode(xml.encode()).decode()}


def _assert_refused(client, response, before, caplog=None, reason: str = "") -> None:
    """Refused with the SSO page (and, when given, for python3-saml's `reason`), and
    nothing changed: no user, membership, social account, audit entry or session."""
    if reason:
        assert reason in caplog.text
    assert response.status_code == 403
    body = response.content.decode()
    assert REFUSED in body and "Continue with SSO" in body
    assert _snapshot() == before
    assert not _signed_in(client)


def _assert_altered_refused(client, acs, form, xml, caplog, reason) -> None:
    before = _snapshot()
    response = saml_post(client, acs, _with_xml(form, xml))
    _assert_refused(client, response, before, caplog, reason)


def test_an_altered_response_is_refused(client, saml_company, caplog):
    acs, form = _erins_response(client)
    # Signed for erin (in no group), then made to say she is in the administrators' group.
    xml, changed = re.subn(
        r'(<(\w+):Attribute Name="groups"[^>]*)/>',
        r"\1><\2:AttributeValue>Parallels Business Account Admins</\2:AttributeValue></\2:Attribute>",
        _response_xml(form),
    )
    assert changed == 1
    _assert_altered_refused(client, acs, form, xml, caplog, "Signature validation failed")


def test_a_response_for_another_person_is_refused(client, saml_company, caplog):
    acs, form = _erins_response(client)
    xml = _response_xml(form).replace("erin@mycompany.example", "frank@mycompany.example")
    _assert_altered_refused(client, acs, form, xml, caplog, "Signature validation failed")


@pytest.mark.parametrize(
    ("signatures", "reason"),
    [
        (0, "The Assertion of the Response is not signed and the SP require it"),
        # The assertion still signed, the response around it not.
        (1, "The Message of the Response is not signed and the SP require it"),
    ],
)
def test_an_unsigned_response_is_refused(client, saml_company, caplog, signatures, reason):
    acs, form = _erins_response(client)
    xml, removed = re.subn(
        r"<(\w+):Signature\b.*?</\1:Signature>",
        "",
        _response_xml(form),
        count=2 - signatures,  # the response's comes first, then the assertion's
        flags=re.S,
    )
    assert removed == 2 - signatures
    _assert_altered_refused(client, acs, form, xml, caplog, reason)


def test_a_replayed_response_is_refused(client, saml_company):
    acs, form = _erins_response(client)
    assert saml_post(client, acs, form).status_code == 302  # the first time: signed in
    before = _snapshot()
    # The same response again, in the same browser and in another one.
    response = saml_post(client, acs, form)
    assert response.status_code == 403 and REFUSED in response.content.decode()
    assert _snapshot() == before
    other = Client(HTTP_HOST="testserver")
    _assert_refused(other, saml_post(other, acs, form), before)


def test_a_response_for_another_service_provider_is_refused(
    client, saml_company, saml_provider, caplog
):
    # The IdP also serves another service provider; it signs an assertion for that one.
    other = "https://other-sp.example/saml/metadata/"
    ours = client.get(reverse("saml_metadata", args=[f"sso-{saml_company.pk}"]))
    saml_provider.trust(
        re.sub(r'entityID="[^"]+"', f'entityID="{other}"', ours.content.decode()), name="other"
    )
    before = _snapshot()
    response = _sign_in(client, "erin@mycompany.example", audience=other)
    _assert_refused(client, response, before, caplog, "is not a valid audience")


def test_an_expired_response_is_refused(client, saml_company, caplog):
    # Signed by the IdP, but valid only until ten minutes ago (beyond the clock drift).
    before = _snapshot()
    response = _sign_in(client, "erin@mycompany.example", lifetime=-10)
    _assert_refused(client, response, before, caplog, "Could not validate timestamp: expired")


def test_an_unsolicited_response_is_refused(client, saml_company):
    """IdP-initiated sign-in: a response that answers no request of this browser."""
    acs, form = saml_idp_sign_in(
        saml_start(Client(HTTP_HOST="testserver"), "erin@mycompany.example"),
        email="erin@mycompany.example",
    )
    before = _snapshot()
    _assert_refused(client, saml_post(client, acs, form), before)
