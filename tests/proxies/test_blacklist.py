"""Blacklisting a proxy server (and lifting it): the page from the details and from the
list's selection, the REST API, and what the installation then gets from the portal —
`pmm-proxy` online and its request files on the Offline page."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.models import AuditLog
from licensing import services as licensing
from licensing.client.cli import main
from licensing.errors import LicensingError
from proxies.models import ProxyServer
from proxies.services import proxy_server_blacklist
from tests.api.conftest import api_client, token_for
from tests.licensing import factories as lf
from tests.licensing.conftest import _portal_key, portal  # noqa: F401 - pmm-proxy's portal
from tests.licensing.factories import NOW, PORTAL
from tests.proxies import factories as f
from tests.webhooks.conftest import endpoint_make
from webhooks import delivery
from webhooks.models import Event

pytestmark = pytest.mark.django_db

BLACKLIST = reverse("proxy_blacklist")
LIST = reverse("proxy_list")


def snapshot() -> tuple:
    return (
        list(ProxyServer.objects.order_by("pk").values()),
        list(AuditLog.objects.order_by("pk").values_list("action", flat=True)),
    )


def pinned_portal_key() -> str:
    out = StringIO()
    call_command("licensing_public_key", "--json", stdout=out)
    return out.getvalue()


def cli(state: Path, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--state", str(state), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ok(state: Path, capsys, *args: str) -> str:
    code, out, err = cli(state, capsys, *args)
    assert (code, err) == (0, ""), err
    return out


# --- the pages ------------------------------------------------------------------------------


def test_the_confirmation_names_the_server_and_changes_nothing(alice_client, company):
    server = f.proxy_create(company, server_name="sccm-hq.example")
    before = snapshot()
    response = alice_client.get(BLACKLIST, {"id": server.pk, "next": LIST})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Blacklist 1 proxy server?" in html and "sccm-hq.example" in html
    assert snapshot() == before


def test_an_admin_blacklists_a_server_from_its_details(alice, alice_client, company):
    server = f.proxy_create(company, server_name="rogue.example")
    detail = reverse("proxy_detail", args=[server.pk])
    assert f'href="{BLACKLIST}?id={server.pk}' in alice_client.get(detail).content.decode()
    response = alice_client.post(BLACKLIST, {"id": server.pk, "next": detail})
    assert (response.status_code, response.url) == (302, detail)
    server.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATED  # its key is free
    assert server.blacklisted_at is not None
    entries = AuditLog.objects.filter(account=company, target_id=str(server.pk))
    assert list(entries.order_by("pk").values_list("action", "actor", "channel")) == [
        ("proxy_server.deactivated", alice.pk, "web"),
        ("proxy_server.blacklisted", alice.pk, "web"),
    ]
    page = alice_client.get(detail).content.decode()
    assert "Blacklisted" in page and reverse("proxy_unblacklist", args=[server.pk]) in page


def test_the_list_selection_blacklists_several_and_the_filter_shows_them(alice_client, company):
    a = f.proxy_create(company, server_name="a")
    b = f.proxy_create(company, server_name="b", status=ProxyServer.Status.DEACTIVATED)
    keep = f.proxy_create(company, server_name="keep")
    alice_client.post(BLACKLIST, {"id": [a.pk, b.pk]})
    response = alice_client.get(LIST, {"display": "blacklisted"})
    assert [s.server_name for s in response.context["servers"]] == ["a", "b"]
    assert response.context["counts"]["blacklisted"] == 2
    assert 'value="blacklisted" selected' in response.content.decode()
    keep.refresh_from_db()
    assert (keep.status, keep.blacklisted_at) == (ProxyServer.Status.ACTIVE, None)


def test_an_offline_server_keeps_its_key_until_its_deactivation_file(alice, company):
    server = f.proxy_create(company)
    ProxyServer.objects.filter(pk=server.pk).update(method=ProxyServer.Method.OFFLINE)
    server.refresh_from_db()
    proxy_server_blacklist(proxy_server=server, actor=alice)
    server.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATING  # as a deactivation does
    assert server.blacklisted_at is not None


def test_a_regular_member_is_refused_and_nothing_changes(bob_client, company):
    server = f.proxy_create(company)
    before = snapshot()
    assert bob_client.get(BLACKLIST, {"id": server.pk}).status_code == 403
    assert bob_client.post(BLACKLIST, {"id": server.pk}).status_code == 403
    unblacklist = reverse("proxy_unblacklist", args=[server.pk])
    assert bob_client.post(unblacklist).status_code == 403
    assert snapshot() == before


def test_another_accounts_server_is_not_found(alice_client, other_company):
    theirs = f.proxy_create(other_company)
    before = snapshot()
    assert alice_client.post(BLACKLIST, {"id": theirs.pk}).status_code == 404
    unblacklist = reverse("proxy_unblacklist", args=[theirs.pk])
    assert alice_client.post(unblacklist).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("ids", [[], ["abc"], ["-3"], [str(2**40)]])
def test_bad_input_changes_nothing(alice_client, company, ids):
    f.proxy_create(company)
    before = snapshot()
    response = alice_client.post(BLACKLIST, {"id": ids})
    assert response.status_code in (302, 404)
    assert snapshot() == before


def test_blacklisting_twice_and_lifting_it(alice, alice_client, company):
    server = f.proxy_create(company, server_name="twice")
    alice_client.post(BLACKLIST, {"id": server.pk})
    before = snapshot()
    response = alice_client.post(BLACKLIST, {"id": server.pk}, follow=True)
    assert "already blacklisted" in response.content.decode()
    assert snapshot() == before

    unblacklist = reverse("proxy_unblacklist", args=[server.pk])
    confirmation = alice_client.get(unblacklist)
    assert "Lift the blacklisting of twice?" in confirmation.content.decode()
    assert snapshot() == before
    alice_client.post(unblacklist)
    server.refresh_from_db()
    assert server.blacklisted_at is None
    assert server.status == ProxyServer.Status.DEACTIVATED  # until it activates again
    assert AuditLog.objects.filter(action="proxy_server.unblacklisted", actor=alice).exists()


# --- the REST API ---------------------------------------------------------------------------


def api_url(name: str, account, server) -> str:
    return reverse(name, kwargs={"account_id": account.pk, "proxy_id": server.pk})


def test_the_api_blacklists_and_lifts_it(alice, company):
    server = f.proxy_create(company)
    api = api_client(token_for(alice))
    response = api.post(api_url("api_proxy_server_blacklist", company, server))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"]) == (server.pk, "deactivated")
    assert body["blacklisted_at"] is not None
    assert AuditLog.objects.get(action="proxy_server.blacklisted").channel == "api"

    before = snapshot()
    again = api.post(api_url("api_proxy_server_blacklist", company, server))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_blacklisted")
    assert snapshot() == before

    response = api.post(api_url("api_proxy_server_unblacklist", company, server))
    assert (response.status_code, response.json()["blacklisted_at"]) == (200, None)
    again = api.post(api_url("api_proxy_server_unblacklist", company, server))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_blacklisted")

    listed = api.get(
        reverse("api_proxy_servers", kwargs={"account_id": company.pk}), {"display": "blacklisted"}
    )
    assert listed.json()["results"] == []


def test_the_api_refuses_members_and_other_accounts(alice, bob, company, other_company):
    ours = f.proxy_create(company)
    theirs = f.proxy_create(other_company)
    before = snapshot()
    response = api_client(token_for(bob)).post(api_url("api_proxy_server_blacklist", company, ours))
    assert response.status_code == 403
    alice_api = api_client(token_for(alice))
    assert alice_api.post(api_url("api_proxy_server_blacklist", company, theirs)).status_code == 404
    assert (
        alice_api.post(api_url("api_proxy_server_blacklist", other_company, theirs)).status_code
        == 404
    )
    assert snapshot() == before


def test_blacklisting_is_a_webhook_event(alice, company):
    endpoint_make(
        company,
        alice,
        "https://hooks.example.com/in",
        types=["proxy_server.blacklisted", "proxy_server.unblacklisted"],
    )
    server = f.proxy_create(company, server_name="rogue")
    alice_client_api = api_client(token_for(alice))
    alice_client_api.post(api_url("api_proxy_server_blacklist", company, server))
    alice_client_api.post(api_url("api_proxy_server_unblacklist", company, server))
    delivery.events_fan_out()
    bodies = [json.loads(e.body) for e in Event.objects.order_by("id")]
    assert [b["type"] for b in bodies] == ["proxy_server.blacklisted", "proxy_server.unblacklisted"]
    assert bodies[0]["data"]["proxy_server"]["server_name"] == "rogue"
    assert bodies[0]["data"]["proxy_server"]["status"] == "deactivated"


# --- what the installation gets: pmm-proxy online, request files offline -------------------


@pytest.fixture
def keys(company):
    subscription = lf.subscription_make(company, licenses=10, offline=True)
    return lf.primary_key_make(subscription), lf.sublicense_make(subscription, quota=3)


@pytest.mark.usefixtures("portal")
def test_pmm_proxy_is_refused_with_any_key_of_the_account(tmp_path, capsys, alice_client, keys):
    primary, branch = keys
    state = tmp_path / "proxy"
    with time_machine.travel(NOW, tick=False):
        ok(state, capsys, "init", "--server-name", "rogue.example", "--site-code", "RG")
        ok(state, capsys, "activate", "--key", primary.key, "--portal", PORTAL)
        server = ProxyServer.objects.get()
        alice_client.post(BLACKLIST, {"id": server.pk})

        # Its next refresh tells it that it is deactivated.
        ok(state, capsys, "refresh", "--portal", PORTAL)
        assert json.loads(ok(state, capsys, "status", "--json"))["status"] == "deactivated"

        before = snapshot()
        for key in (primary, branch):
            code, out, err = cli(state, capsys, "activate", "--key", key.key, "--portal", PORTAL)
            assert code == 1
            assert err.count("\n") == 1 and "installation_blacklisted" in err, err
            assert "blacklisted" in err
        assert snapshot() == before

        # Lifted: the installation activates again.
        alice_client.post(reverse("proxy_unblacklist", args=[server.pk]))
        ok(state, capsys, "activate", "--key", branch.key, "--portal", PORTAL)
        assert ProxyServer.objects.filter(status="active", license_key=branch).count() == 1


def test_its_public_key_is_refused_under_another_installation_id(alice, company, keys):
    primary, branch = keys
    proxy = lf.Installation()
    licensing.license_activate(proxy.activation(primary.key), channel="online", now=NOW)
    proxy_server_blacklist(proxy_server=ProxyServer.objects.get(), actor=alice, now=NOW)
    # The same key pair, reinstalled with a new installation id.
    twin = lf.Installation()
    twin.private_key = proxy.private_key
    before = snapshot()
    with pytest.raises(LicensingError) as refused:
        licensing.license_activate(twin.activation(branch.key), channel="online", now=NOW)
    assert (refused.value.code, refused.value.status) == ("installation_blacklisted", 403)
    assert snapshot() == before
    # Another installation is not concerned.
    licensing.license_activate(lf.Installation().activation(branch.key), channel="online", now=NOW)


def test_another_account_does_not_inherit_the_blacklist(alice, company, charlie, other_company):
    ours = lf.primary_key_make(lf.subscription_make(company))
    theirs = lf.primary_key_make(lf.subscription_make(other_company))
    proxy = lf.Installation()
    licensing.license_activate(proxy.activation(ours.key), channel="online", now=NOW)
    proxy_server_blacklist(proxy_server=ProxyServer.objects.get(), actor=alice, now=NOW)
    licensing.license_activate(proxy.activation(theirs.key), channel="online", now=NOW)
    assert ProxyServer.objects.get(account=other_company).status == "active"


def test_the_offline_page_refuses_its_activation_file(tmp_path, capsys, alice_client, keys):
    primary, branch = keys
    state = tmp_path / "offline-proxy"
    request = tmp_path / "request.txt"
    with time_machine.travel(NOW, tick=False):
        pin = tmp_path / "portal-key.json"
        pin.write_text(pinned_portal_key())
        ok(state, capsys, "init", "--server-name", "offline.example", "--site-code", "OF",
           "--portal-public-key", str(pin))  # fmt: skip
        ok(state, capsys, "activate", "--key", primary.key, "--offline-request", str(request))
        text = request.read_text()
        alice_client.post(
            "/offline/",
            {"step": "inspect", "request_file": SimpleUploadedFile("r.txt", text.encode())},
        )
        response = alice_client.post("/offline/", {"step": "confirm", "request_text": text})
        assert response.status_code == 200
        answer = tmp_path / "answer.txt"
        answer.write_text(
            alice_client.get(
                f"/offline/answers/{response.context['answer_token']}/"
            ).content.decode()
        )
        ok(state, capsys, "import", str(answer))
        server = ProxyServer.objects.get()
        alice_client.post(BLACKLIST, {"id": server.pk})

        # It learns it from the subscription information file of its next refresh.
        request.unlink()
        ok(state, capsys, "refresh", "--offline-request", str(request))
        response = alice_client.post(
            "/offline/", {"step": "confirm", "request_text": request.read_text()}
        )
        answer.write_text(
            alice_client.get(
                f"/offline/answers/{response.context['answer_token']}/"
            ).content.decode()
        )
        ok(state, capsys, "import", str(answer))
        assert json.loads(ok(state, capsys, "status", "--json"))["status"] == "deactivated"

        request.unlink()
        ok(state, capsys, "activate", "--key", branch.key, "--offline-request", str(request))
        text = request.read_text()
        before = snapshot()
        # Refused as soon as the file is uploaded, before anything is shown to confirm ...
        response = alice_client.post(
            "/offline/",
            {"step": "inspect", "request_file": SimpleUploadedFile("r.txt", text.encode())},
        )
        assert response.status_code == 400
        assert "blacklisted" in response.content.decode()
        # ... and at the confirmation, should a form be posted anyway.
        response = alice_client.post("/offline/", {"step": "confirm", "request_text": text})
        assert response.status_code == 400
        assert "blacklisted" in response.content.decode()
        assert snapshot() == before


@pytest.fixture
def no_session_tracking(settings):
    # allauth's per-request "last seen" bookkeeping is not the page's (as test_proxy_list).
    settings.USERSESSIONS_TRACK_ACTIVITY = False


@pytest.mark.parametrize("blacklisted", [1, 60])
def test_the_blacklisted_filter_runs_a_fixed_number_of_queries(
    alice_client, company, django_assert_num_queries, no_session_tracking, blacklisted
):
    servers = f.proxies_bulk_create(company, blacklisted + 5)
    ProxyServer.objects.filter(pk__in=[s.pk for s in servers[:blacklisted]]).update(
        status=ProxyServer.Status.DEACTIVATED, blacklisted_at=NOW
    )
    # 1 session, 2 user, 3 the SSO domain of the user's address, 4 memberships, 5 the
    # user's columns, 6 the Display counts (one aggregate, Blacklisted among them), 7 one
    # page of servers, 8 the product navigation. (No query of the keys' usage: a
    # blacklisted server holds no key.)
    with django_assert_num_queries(8):
        response = alice_client.get(LIST, {"display": "blacklisted"})
    assert response.context["counts"]["blacklisted"] == blacklisted
    assert len(response.context["servers"]) == min(blacklisted, 50)
