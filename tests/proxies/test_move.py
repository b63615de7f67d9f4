"""Moving a proxy server to another license key of its account: the page, the REST
API, the pool rules that may refuse it, and how the installation learns its new key —
`pmm-proxy` online at its next refresh, offline from a signed refresh file."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from accounts.models import AuditLog
from licensing.client.cli import main
from proxies.errors import ProxyError
from proxies.models import ProxyServer, UsageReport
from proxies.services import proxy_server_move
from subscriptions.models import LicenseKey
from tests.api.conftest import api_client, token_for
from tests.licensing import factories as lf
from tests.licensing.conftest import _portal_key, portal  # noqa: F401 - pmm-proxy's portal
from tests.licensing.factories import NOW, PORTAL
from tests.proxies import factories as f
from tests.webhooks.conftest import endpoint_make
from webhooks import delivery
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (
        list(ProxyServer.objects.order_by("pk").values()),
        list(UsageReport.objects.order_by("pk").values()),
        list(AuditLog.objects.order_by("pk").values_list("action", flat=True)),
    )


@pytest.fixture
def setup(company):
    """A 10-license subscription: the server on its primary key with 5 computers and a
    week of reports; a free dynamic key "Lab" (quota 8) and a free reserved "Branch"
    (quota 3)."""
    subscription = f.subscription_create(company, licenses=10, offline_allowed=True)
    primary = f.key_create(subscription)
    lab = LicenseKey.objects.create(
        subscription=subscription, type=LicenseKey.Type.DYNAMIC, name="Lab", quota=8
    )
    branch = f.key_create(subscription, primary=False, quota=3)
    server = f.proxy_create(company, key=primary, server_name="hq.example", registered_computers=5)
    f.reports_create(server, [3, 4, 5])
    return server, primary, lab, branch


def move_url(server) -> str:
    return reverse("proxy_move", args=[server.pk])


# --- the page -------------------------------------------------------------------------------


def test_the_page_offers_the_free_keys_of_the_account(alice_client, company, other_company, setup):
    server, primary, lab, branch = setup
    held = f.key_create(f.subscription_create(company), primary=True)
    f.proxy_create(company, key=held, server_name="other")
    theirs = f.key_create(f.subscription_create(other_company))
    response = alice_client.get(move_url(server))
    assert response.status_code == 200
    offered = {pk for pk, _label in response.context["form"].fields["license_key"].choices}
    assert offered == {lab.pk, branch.pk}  # not its own, not a held one, not another account's
    assert theirs.pk not in offered
    detail = alice_client.get(reverse("proxy_detail", args=[server.pk])).content.decode()
    assert move_url(server) in detail


def test_an_admin_moves_the_server_and_its_history_stays(alice, alice_client, setup):
    server, primary, lab, _branch = setup
    reports = list(UsageReport.objects.filter(proxy_server=server).values_list("pk", flat=True))
    detail = reverse("proxy_detail", args=[server.pk])
    response = alice_client.post(move_url(server), {"license_key": lab.pk, "next": detail})
    assert (response.status_code, response.url) == (302, detail)
    server.refresh_from_db()
    assert (server.license_key, server.status) == (lab, ProxyServer.Status.ACTIVE)
    assert list(UsageReport.objects.filter(proxy_server=server).values_list("pk", flat=True)) == (
        reports
    )
    entry = AuditLog.objects.get(action="proxy_server.moved")
    assert (entry.actor, entry.channel, entry.target_id) == (alice, "web", str(server.pk))
    assert (entry.data["from_license_key_id"], entry.data["license_key_id"]) == (primary.pk, lab.pk)
    usage = alice_client.get(detail, {"tab": "usage"}).context["usage"]
    assert usage.count == 3


def test_no_room_on_the_key_refuses_with_the_reason(alice_client, setup):
    server, _primary, _lab, branch = setup
    before = snapshot()
    response = alice_client.post(move_url(server), {"license_key": branch.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert "no room for this server&#x27;s 5 computers: its quota is 3 licenses" in html
    assert snapshot() == before


def test_no_room_in_the_target_pool_refuses_with_the_reason(alice, company, setup):
    server, *_ = setup
    small = f.subscription_create(company, licenses=4)
    f.key_create(small)
    f.key_create(small, primary=False, quota=2)
    dynamic = LicenseKey.objects.create(
        subscription=small, type=LicenseKey.Type.DYNAMIC, name="Pool", quota=8
    )
    before = snapshot()
    with pytest.raises(ProxyError) as refused:
        proxy_server_move(proxy_server=server, license_key=dynamic, actor=alice)
    assert refused.value.code == "move_over_pool"
    assert "shared pool has 2 licenses left" in refused.value.message
    assert snapshot() == before


@pytest.mark.parametrize("value", ["", "abc", "-1", "999999"])
def test_bad_input_changes_nothing(alice_client, setup, value):
    server, *_ = setup
    before = snapshot()
    assert alice_client.post(move_url(server), {"license_key": value}).status_code == 400
    assert snapshot() == before


def test_a_held_or_foreign_key_is_not_offered_and_changes_nothing(
    alice_client, company, other_company, setup
):
    server, *_ = setup
    held = f.key_create(f.subscription_create(company))
    f.proxy_create(company, key=held)
    theirs = f.key_create(f.subscription_create(other_company))
    before = snapshot()
    for key in (held, theirs):
        assert alice_client.post(move_url(server), {"license_key": key.pk}).status_code == 400
    assert snapshot() == before


def test_a_member_is_refused_and_another_accounts_server_not_found(
    bob_client, alice_client, other_company, setup
):
    server, _primary, lab, _branch = setup
    theirs = f.proxy_create(other_company)
    before = snapshot()
    assert bob_client.get(move_url(server)).status_code == 403
    assert bob_client.post(move_url(server), {"license_key": lab.pk}).status_code == 403
    assert alice_client.get(move_url(theirs)).status_code == 404
    assert alice_client.post(move_url(theirs), {"license_key": lab.pk}).status_code == 404
    assert snapshot() == before


def test_a_deactivated_server_cannot_move(alice, company, setup):
    server, _primary, lab, _branch = setup
    ProxyServer.objects.filter(pk=server.pk).update(status=ProxyServer.Status.DEACTIVATED)
    server.refresh_from_db()
    before = snapshot()
    with pytest.raises(ProxyError) as refused:
        proxy_server_move(proxy_server=server, license_key=lab, actor=alice)
    assert refused.value.code == "move_not_active"
    assert snapshot() == before


def test_an_offline_server_needs_a_key_that_allows_offline_use(alice, company, setup):
    server, *_ = setup
    ProxyServer.objects.filter(pk=server.pk).update(method=ProxyServer.Method.OFFLINE)
    server.refresh_from_db()
    online_only = f.key_create(f.subscription_create(company, licenses=20))
    with pytest.raises(ProxyError) as refused:
        proxy_server_move(proxy_server=server, license_key=online_only, actor=alice)
    assert refused.value.code == "move_offline_not_allowed"


# --- the REST API ---------------------------------------------------------------------------


def api_url(account, server) -> str:
    return reverse(
        "api_proxy_server_move", kwargs={"account_id": account.pk, "proxy_id": server.pk}
    )


def test_the_api_moves_and_refuses_with_codes(alice, company, other_company, setup):
    server, primary, lab, branch = setup
    api = api_client(token_for(alice))
    before = snapshot()
    refused = api.post(api_url(company, server), {"license_key_id": branch.pk}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "move_over_quota")
    assert refused.json()["error"]["fields"] == {
        "license_key": [refused.json()["error"]["message"]]
    }
    theirs = f.key_create(f.subscription_create(other_company))
    missing = api.post(api_url(company, server), {"license_key_id": theirs.pk}, format="json")
    assert missing.status_code == 404
    invalid = api.post(api_url(company, server), {"license_key_id": "x"}, format="json")
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (400, "invalid")
    same = api.post(api_url(company, server), {"license_key_id": primary.pk}, format="json")
    assert same.json()["error"]["code"] == "move_same_key"
    assert snapshot() == before

    response = api.post(api_url(company, server), {"license_key_id": lab.pk}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["license_key_id"], response.json()["id"]) == (lab.pk, server.pk)
    assert AuditLog.objects.get(action="proxy_server.moved").channel == "api"


def test_the_api_refuses_a_member_another_account_and_a_held_key(
    alice, bob, company, other_company, setup
):
    server, _primary, lab, _branch = setup
    held = f.key_create(f.subscription_create(company))
    f.proxy_create(company, key=held)
    theirs = f.proxy_create(other_company)
    before = snapshot()
    bob_api = api_client(token_for(bob))
    assert bob_api.post(api_url(company, server), {"license_key_id": lab.pk}).status_code == 403
    alice_api = api_client(token_for(alice))
    assert alice_api.post(api_url(company, theirs), {"license_key_id": lab.pk}).status_code == 404
    in_use = alice_api.post(api_url(company, server), {"license_key_id": held.pk}, format="json")
    assert (in_use.status_code, in_use.json()["error"]["code"]) == (409, "move_key_in_use")
    assert snapshot() == before


def test_a_move_is_a_webhook_event(alice, company, setup):
    server, primary, lab, _branch = setup
    endpoint_make(company, alice, "https://hooks.example.com/in", types=["proxy_server.moved"])
    proxy_server_move(proxy_server=server, license_key=lab, actor=alice)
    delivery.events_fan_out()
    [event] = [json.loads(e.body) for e in Event.objects.all()]
    assert event["type"] == "proxy_server.moved"
    assert event["data"]["proxy_server"]["license_key_id"] == lab.pk
    assert event["data"]["moved_from"]["license_key_id"] == primary.pk
    assert event["data"]["moved_from"]["license_key"].endswith(primary.key[-5:])
    assert primary.key not in json.dumps(event)  # masked


# --- what the installation learns: pmm-proxy ------------------------------------------------


def cli_ok(state: Path, capsys, *args: str) -> str:
    capsys.readouterr()
    code = main(["--state", str(state), *args])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, ""), captured.err
    return captured.out


def status(state: Path, capsys) -> dict:
    return json.loads(cli_ok(state, capsys, "status", "--json"))


@pytest.fixture
def licensed(company):
    subscription = lf.subscription_make(company, licenses=10, offline=True)
    return lf.primary_key_make(subscription), lf.sublicense_make(subscription, quota=4)


@pytest.mark.usefixtures("portal")
def test_an_online_proxy_learns_its_new_key_at_its_next_refresh(
    tmp_path, capsys, alice, company, licensed
):
    primary, branch = licensed
    state = tmp_path / "proxy"
    with time_machine.travel(NOW, tick=False):
        cli_ok(state, capsys, "init", "--server-name", "hq.example", "--site-code", "HQ")
        cli_ok(state, capsys, "activate", "--key", primary.key, "--portal", PORTAL)
        cli_ok(state, capsys, "report", "--computers", "3", "--portal", PORTAL)
        server = ProxyServer.objects.get()
        response = api_client(token_for(alice)).post(
            api_url(company, server), {"license_key_id": branch.pk}, format="json"
        )
        assert response.status_code == 200, response.content
        assert status(state, capsys)["license_key"] == primary.key  # not told yet
        cli_ok(state, capsys, "refresh", "--portal", PORTAL)
        view = status(state, capsys)
        assert (view["license_key"], view["status"], view["licenses"]) == (branch.key, "active", 4)
        assert (view["used"], view["remaining"]) == (3, 1)
        assert UsageReport.objects.filter(proxy_server=server).count() == 1  # kept


def test_an_offline_proxy_learns_it_from_a_signed_refresh_file(
    tmp_path, capsys, alice_client, licensed
):
    primary, branch = licensed
    state = tmp_path / "offline-proxy"
    request, answer = tmp_path / "request.txt", tmp_path / "answer.txt"
    pin = tmp_path / "portal-key.json"
    out = StringIO()
    call_command("licensing_public_key", "--json", stdout=out)
    pin.write_text(out.getvalue())

    def through_the_offline_page() -> None:
        response = alice_client.post(
            "/offline/", {"step": "confirm", "request_text": request.read_text()}
        )
        assert response.status_code == 200, response.content
        token = response.context["answer_token"]
        answer.write_text(alice_client.get(f"/offline/answers/{token}/").content.decode())
        cli_ok(state, capsys, "import", str(answer))
        request.unlink()

    with time_machine.travel(NOW, tick=False):
        cli_ok(state, capsys, "init", "--server-name", "site.example", "--site-code", "OF",
               "--portal-public-key", str(pin))  # fmt: skip
        cli_ok(state, capsys, "activate", "--key", primary.key, "--offline-request", str(request))
        through_the_offline_page()
        server = ProxyServer.objects.get()
        response = alice_client.post(move_url(server), {"license_key": branch.pk})
        assert response.status_code == 302
        cli_ok(state, capsys, "refresh", "--offline-request", str(request))
        through_the_offline_page()
        view = status(state, capsys)
        assert (view["license_key"], view["status"]) == (branch.key, "active")
