from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import AuditLog
from proxies.models import ProxyServer
from proxies.selectors import license_key_usage
from proxies.services import proxy_servers_deactivate
from tests.proxies import factories as f

URL = reverse("proxy_deactivate")
LIST = reverse("proxy_list")


def status(server: ProxyServer) -> str:
    server.refresh_from_db()
    return server.status


def test_the_confirmation_names_the_servers(alice_client, company):
    a = f.proxy_create(company, server_name="Test site stand-alone")
    b = f.proxy_create(company, server_name="Branch office")
    response = alice_client.get(URL, {"id": [a.pk, b.pk], "next": LIST + "?display=all"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Test site stand-alone" in html and "Branch office" in html
    assert status(a) == status(b) == ProxyServer.Status.ACTIVE  # asking changes nothing


def test_an_admin_deactivates_the_selected_servers(alice, alice_client, company):
    a = f.proxy_create(company, server_name="a")
    b = f.proxy_create(company, server_name="b")
    keep = f.proxy_create(company, server_name="keep")
    response = alice_client.post(URL, {"id": [a.pk, b.pk], "next": LIST + "?display=deactivated"})
    assert response.status_code == 302
    assert response.url == LIST + "?display=deactivated"
    assert status(a) == status(b) == ProxyServer.Status.DEACTIVATED
    assert status(keep) == ProxyServer.Status.ACTIVE
    a.refresh_from_db()
    assert a.deactivated_at is not None
    entries = AuditLog.objects.filter(action="proxy_server.deactivated", account=company)
    assert sorted(e.target_id for e in entries) == sorted([str(a.pk), str(b.pk)])
    assert {e.actor for e in entries} == {alice}
    assert {e.channel for e in entries} == {"web"}


def test_a_deactivated_server_stays_listed_under_deactivated(alice_client, company):
    server = f.proxy_create(company, server_name="a")
    f.reports_create(server, [1, 2, 3])
    alice_client.post(URL, {"id": [server.pk]})
    response = alice_client.get(LIST, {"display": "deactivated"})
    assert [s.server_name for s in response.context["servers"]] == ["a"]
    detail = alice_client.get(reverse("proxy_detail", args=[server.pk]), {"tab": "usage"})
    assert detail.context["usage"].count == 3  # with its history


def test_deactivating_twice_changes_nothing_more(alice_client, company):
    server = f.proxy_create(company)
    alice_client.post(URL, {"id": [server.pk]})
    response = alice_client.post(URL, {"id": [server.pk]})
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="proxy_server.deactivated").count() == 1


def test_ids_of_another_account_are_ignored(alice_client, company, other_company):
    mine = f.proxy_create(company, server_name="mine")
    theirs = f.proxy_create(other_company, server_name="theirs")
    alice_client.post(URL, {"id": [mine.pk, theirs.pk]})
    assert status(mine) == ProxyServer.Status.DEACTIVATED
    assert status(theirs) == ProxyServer.Status.ACTIVE


def test_only_another_accounts_ids_answer_404(charlie_client, company):
    server = f.proxy_create(company)
    assert charlie_client.get(URL, {"id": [server.pk]}).status_code == 404
    assert charlie_client.post(URL, {"id": [server.pk]}).status_code == 404
    assert status(server) == ProxyServer.Status.ACTIVE
    assert not AuditLog.objects.filter(action="proxy_server.deactivated").exists()


def test_nothing_selected_goes_back_with_a_message(alice_client, company):
    response = alice_client.post(URL, {}, follow=True)
    assert "Select one or more proxy servers first." in response.content.decode()
    assert alice_client.post(URL, {"id": ["x"]}).status_code == 302


def test_the_service_scopes_and_skips(alice, company, other_company):
    mine = f.proxy_create(company)
    gone = f.proxy_create(company, status=ProxyServer.Status.DEACTIVATED)
    theirs = f.proxy_create(other_company)
    done = proxy_servers_deactivate(account=company, ids=[mine.pk, gone.pk, theirs.pk], actor=alice)
    assert done == [mine]
    assert status(theirs) == ProxyServer.Status.ACTIVE


def test_a_deactivated_server_frees_its_key_and_says_who_did_it(alice, company):
    server = f.proxy_create(company)
    proxy_servers_deactivate(account=company, ids=[server.pk], actor=alice)
    assert status(server) == ProxyServer.Status.DEACTIVATED
    assert license_key_usage([server.license_key_id]) == {server.license_key_id: 0}
    entry = AuditLog.objects.get(action="proxy_server.deactivated", target_id=str(server.pk))
    assert entry.actor == alice and entry.channel == "web"
    assert entry.data["reason"] == "administrator"


def test_the_service_itself_refuses_an_actor_who_is_no_administrator(bob, company):
    # Defence in depth: whatever the caller checked before, the service checks again
    # under the account's lock (a demotion that commits first is seen).
    server = f.proxy_create(company, server_name="a")
    entries = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        proxy_servers_deactivate(account=company, ids=[server.pk], actor=bob)
    assert status(server) == ProxyServer.Status.ACTIVE
    assert AuditLog.objects.count() == entries


def test_deactivating_an_offline_server_twice_changes_nothing_the_second_time(
    alice, alice_client, company
):
    server = f.proxy_create(company, server_name="offsite")
    ProxyServer.objects.filter(pk=server.pk).update(method=ProxyServer.Method.OFFLINE)
    first = proxy_servers_deactivate(account=company, ids=[server.pk], actor=alice)
    assert [s.status for s in first] == [ProxyServer.Status.DEACTIVATING]
    entries = AuditLog.objects.count()
    assert proxy_servers_deactivate(account=company, ids=[server.pk], actor=alice) == []
    assert AuditLog.objects.count() == entries
    response = alice_client.post(URL, {"id": [server.pk]}, follow=True)
    assert "already being deactivated" in response.content.decode()
