from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

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
    assert counts == {"all": 5, "expiring": 1, "expired": 1, "silent": 1, "deactivated": 1}
    over = [s for s in alice_client.get("/proxy-servers/").context["servers"] if s.over_limit]
    assert [s.server_name for s in over] == ["design-proxy.corp.example"]


def test_it_leaves_servers_made_by_licensing_alone(company):
    f.proxy_create(company, server_name="made by licensing")
    demo.seed(context_for(company))
    assert ProxyServer.objects.filter(account=company).count() == 1
