"""Step 4, "Require SSO": once on, people of My Company's verified domain sign in through
its IdP only. erin@mycompany.example has a password too; frank@mycompany.example is the
break-glass Account Administrator; alice@example.com is outside the domain."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog
from sso import services
from sso.errors import SsoError
from sso.models import SsoConfig
from tests.factories import PASSWORD
from tests.sso.conftest import continue_with_sso

pytestmark = pytest.mark.django_db


def _login(client, email):
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def _signed_in(client) -> bool:
    return client.get(reverse("dashboard")).wsgi_request.user.is_authenticated


def test_turning_it_on_is_audited_and_tells_the_administrators(enforced, alice, mailoutbox):
    config = SsoConfig.objects.get(account=enforced)
    assert config.require_sso and config.break_glass.email == "frank@mycompany.example"
    entry = AuditLog.objects.get(action="sso.enforcement_on")
    assert entry.actor == alice and entry.data == {"break_glass": "frank@mycompany.example"}
    [email] = mailoutbox
    assert sorted(email.to) == ["alice@example.com", "frank@mycompany.example"]
    assert "Single sign-on is now required for My Company, Inc." in email.subject


def test_the_page_turns_it_on(alice_client, sso_company, frank):
    response = alice_client.post(
        reverse("sso_enforcement_save"), {"require_sso": "on", "break_glass": frank.pk}
    )
    assert response.status_code == 302
    steps = alice_client.get(reverse("sso_settings")).context["steps"]
    assert all(step.done for step in steps)


def test_a_password_sign_in_is_refused(client, enforced, erin):
    response = _login(client, "erin@mycompany.example")
    assert response.status_code == 403
    assert "requires you to sign in with single sign-on" in response.content.decode()
    assert not _signed_in(client)


def test_the_break_glass_administrator_signs_in_with_a_password_and_it_is_audited(
    client, enforced, frank
):
    response = _login(client, "frank@mycompany.example")
    assert response.status_code == 302
    assert _signed_in(client)
    entry = AuditLog.objects.get(action="sso.break_glass_sign_in")
    assert (entry.account, entry.actor) == (enforced, frank)


def test_people_outside_the_domain_are_not_concerned(client, enforced, alice):
    assert _login(client, "alice@example.com").status_code == 302
    assert _signed_in(client)


def test_sso_itself_still_signs_them_in(client, enforced, erin):
    response = continue_with_sso(client, "erin@mycompany.example")
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).wsgi_request.user == erin


def test_a_password_reset_sends_no_link_but_says_to_use_sso(
    client, enforced, erin, frank, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "erin@mycompany.example"})
    [email] = mailoutbox
    assert email.to == ["erin@mycompany.example"]
    assert "/accounts/password/reset/key/" not in email.body
    assert "/accounts/sso/" in email.body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "frank@mycompany.example"})
    assert "/accounts/password/reset/key/" in mailoutbox[-1].body  # break-glass may


def test_it_cannot_be_turned_on_before_an_idp_is_connected(alice_client, company, alice):
    before = (list(SsoConfig.objects.values()), AuditLog.objects.count())
    response = alice_client.post(reverse("sso_enforcement_save"), {"require_sso": "on"})
    assert response.status_code == 200
    assert "Connect an identity provider first." in response.content.decode()
    assert (list(SsoConfig.objects.values()), AuditLog.objects.count()) == before


def test_the_break_glass_must_be_an_administrator(sso_company, alice, bob):
    before = (list(SsoConfig.objects.values()), AuditLog.objects.count())
    with pytest.raises(SsoError) as refused:
        services.sso_enforcement_save(
            account=sso_company, actor=alice, require_sso=True, break_glass=bob
        )
    assert refused.value.code == "break_glass_invalid"
    assert (list(SsoConfig.objects.values()), AuditLog.objects.count()) == before


def test_a_regular_member_cannot_change_it(bob_client, sso_company):
    response = bob_client.post(reverse("sso_enforcement_save"), {"require_sso": "on"})
    assert response.status_code == 403
    assert not SsoConfig.objects.get(account=sso_company).require_sso


def test_turning_it_off_lets_passwords_back(client, enforced, alice, erin):
    services.sso_enforcement_save(
        account=enforced, actor=alice, require_sso=False, break_glass=None
    )
    assert _login(Client(), "erin@mycompany.example").status_code == 302
    assert AuditLog.objects.filter(action="sso.enforcement_off").count() == 1


def test_turning_it_off_tells_the_administrators(
    enforced, alice, frank, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.sso_enforcement_save(
            account=enforced, actor=alice, require_sso=False, break_glass=None
        )
    [email] = mailoutbox
    assert sorted(email.to) == ["alice@example.com", "frank@mycompany.example"]
    assert "Single sign-on is no longer required for My Company, Inc." in email.subject
    # Saving it unchanged e-mails no one.
    with django_capture_on_commit_callbacks(execute=True):
        services.sso_enforcement_save(
            account=enforced, actor=alice, require_sso=False, break_glass=None
        )
    assert len(mailoutbox) == 1
