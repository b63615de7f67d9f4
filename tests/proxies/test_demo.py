from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditLog
from proxies import demo
from proxies.models import ProxyServer, UsageReport
from tests.proxies import factories as f


def context_for(company) -> dict:
    today = timezone.localdate()
    main = f.subscription_create(company, licenses=25)
    primary = f.key_create(main)
    design = f.key_create(main, primary=False, quota=5)
    design.name = "Design Studio"
    design.save()
    return {
        "company": company,
        "license_keys": [primary, design],
        "trial_subscription": (
            trial := f.subscription_create(company, ends_on=today + timedelta(days=20))
        ),
        "expired_subscription": (
            old := f.subscription_create(company, ends_on=today - timedelta(days=5))
        ),
        "_keys": [f.key_create(trial), f.key_create(old)],
    }


def test_it_does_nothing_without_a_company(db):
    demo.seed({})
    assert not ProxyServer.objects.exists()


def test_it_fills_every_display_choice_once(alice_client, company):
    context = context_for(company)
    demo.seed(context)
    demo.seed(context)  # idempotent
    assert ProxyServer.objects.filter(account=company).count() == 5
    assert UsageReport.objects.filter(proxy_server__account=company).exists()
    counts = alice_client.get("/proxy-servers/").context["counts"]
    assert counts == {
        "all": 5,
        "expiring": 1,
        "expired": 1,
        "silent": 1,
        "deactivated": 1,
        "blacklisted": 0,  # made with a person to act: see below
    }
    over = [s for s in alice_client.get("/proxy-servers/").context["servers"] if s.over_limit]
    assert [s.server_name for s in over] == ["design-proxy.corp.example"]


def test_it_leaves_servers_made_by_licensing_alone(company):
    f.proxy_create(company, server_name="made by licensing")
    demo.seed(context_for(company))
    assert ProxyServer.objects.filter(account=company).count() == 1


def test_it_adds_a_blacklisted_and_a_moved_server_through_the_services(alice, company):
    context = {**context_for(company), "demo_user": alice}
    demo.seed(context)
    demo.seed(context)  # idempotent
    blacklisted = ProxyServer.objects.get(account=company, blacklisted_at__isnull=False)
    assert (blacklisted.server_name, blacklisted.status) == (demo.BLACKLISTED, "deactivated")
    moved = ProxyServer.objects.get(account=company, server_name=demo.MOVED)
    assert (moved.license_key.name, moved.status) == ("Mobile Lab", "active")
    assert moved.usage_reports.count() == 4  # its history moved with it
    actions = set(AuditLog.objects.filter(account=company).values_list("action", flat=True))
    assert {"proxy_server.blacklisted", "proxy_server.moved"} <= actions


def test_the_demo_account_shows_a_blacklisted_and_a_moved_server(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")
    company = ProxyServer.objects.get(server_name=demo.MOVED).account
    assert company.name == "My Company, Inc."
    assert ProxyServer.objects.filter(account=company, blacklisted_at__isnull=False).count() == 1
    assert AuditLog.objects.filter(account=company, action="proxy_server.moved").count() == 1
