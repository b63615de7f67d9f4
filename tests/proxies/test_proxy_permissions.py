"""Who may do what on the Proxy Servers pages.

alice (Account Administrator) does everything; bob (Regular Member) sees everything
and changes nothing; dave (blocked) and anonymous visitors see nothing; charlie
(another company) never finds our servers.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog
from proxies.models import ProxyServer
from tests.proxies import factories as f


@pytest.fixture
def server(company):
    return f.proxy_create(company, server_name="Test site stand-alone", notes="original")


def unchanged(server: ProxyServer) -> bool:
    server.refresh_from_db()
    return server.status == ProxyServer.Status.ACTIVE and server.notes == "original"


def test_alice_sees_and_manages(alice_client, server):
    html = alice_client.get(reverse("proxy_list")).content.decode()
    assert "Test site stand-alone" in html
    assert "data-deactivate-open" in html
    detail = alice_client.get(reverse("proxy_detail", args=[server.pk])).content.decode()
    assert ">Save<" in detail and ">Deactivate<" in detail


def test_bob_sees_everything_without_action_controls(bob_client, server):
    response = bob_client.get(reverse("proxy_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Test site stand-alone" in html
    assert "data-deactivate-open" not in html
    assert "deactivate-dialog" not in html
    assert "Export to CSV" in html  # reading is allowed
    detail = bob_client.get(reverse("proxy_detail", args=[server.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "original" in text
    assert ">Save<" not in text and ">Deactivate<" not in text and "<textarea" not in text
    assert bob_client.get(reverse("proxy_export")).status_code == 200


def test_bob_cannot_change_anything(bob_client, server):
    assert bob_client.post(reverse("proxy_deactivate"), {"id": [server.pk]}).status_code == 403
    assert bob_client.get(reverse("proxy_deactivate"), {"id": [server.pk]}).status_code == 403
    response = bob_client.post(reverse("proxy_notes", args=[server.pk]), {"notes": "mine"})
    assert response.status_code == 403
    assert unchanged(server)
    assert not AuditLog.objects.filter(target_type="proxies.proxyserver").exists()


def test_a_blocked_member_sees_nothing(dave_client, server):
    html = dave_client.get(reverse("proxy_list"))
    assert html.status_code == 404
    assert dave_client.get(reverse("proxy_detail", args=[server.pk])).status_code == 404
    assert dave_client.get(reverse("proxy_export")).status_code == 404
    assert dave_client.post(reverse("proxy_deactivate"), {"id": [server.pk]}).status_code == 404
    response = dave_client.post(reverse("proxy_notes", args=[server.pk]), {"notes": "x"})
    assert response.status_code == 404
    assert unchanged(server)


def test_another_company_gets_404(charlie_client, server):
    response = charlie_client.get(reverse("proxy_list"))
    assert response.status_code == 200
    assert "Test site stand-alone" not in response.content.decode()
    assert charlie_client.get(reverse("proxy_detail", args=[server.pk])).status_code == 404
    response = charlie_client.post(reverse("proxy_notes", args=[server.pk]), {"notes": "x"})
    assert response.status_code == 404
    assert charlie_client.post(reverse("proxy_deactivate"), {"id": [server.pk]}).status_code == 404
    assert unchanged(server)


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "proxy_list", []),
        ("get", "proxy_export", []),
        ("get", "proxy_detail", ["pk"]),
        ("post", "proxy_notes", ["pk"]),
        ("post", "proxy_deactivate", []),
        ("post", "proxy_columns", []),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(server, method, name, args):
    url = reverse(name, args=[server.pk for _ in args])
    response = getattr(Client(), method)(url, {"id": [server.pk], "notes": "x"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert unchanged(server)


def test_from_the_personal_account_the_only_business_account_opens(alice_client, alice, server):
    # accounts.permissions.business_account_required: with one business account, the
    # page switches to it; the proxy servers are never the personal account's.
    from accounts.models import Account

    personal = Account.objects.get(kind=Account.Kind.PERSONAL, memberships__user=alice)
    alice_client.post(reverse("switch_account"), {"account": personal.pk})
    response = alice_client.get(reverse("proxy_list"))
    assert response.status_code == 200
    assert [s.pk for s in response.context["servers"]] == [server.pk]
    assert alice_client.session["current_account_id"] == server.account_id


def test_a_user_without_a_business_account_has_no_proxy_servers(client, server):
    from tests import factories

    client.force_login(factories.user_create("nina@example.com", "Nina", "New"))
    assert client.get(reverse("proxy_list")).status_code == 404
    assert client.get(reverse("proxy_detail", args=[server.pk])).status_code == 404
