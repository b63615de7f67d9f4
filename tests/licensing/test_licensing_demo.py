"""licensing/demo.py: installations for the demo company, once."""

from __future__ import annotations

import pytest

from licensing import demo
from proxies.models import ProxyServer, UsageReport
from subscriptions.models import LicenseKey
from tests.licensing import factories

pytestmark = pytest.mark.django_db


def test_it_does_nothing_without_the_subscriptions_demo():
    demo.seed({})
    assert ProxyServer.objects.count() == 0


def test_it_shows_every_kind_of_installation_once(company):
    subscription = factories.subscription_make(company, licenses=25, offline=True)
    keys = [
        factories.primary_key_make(subscription),
        factories.sublicense_make(subscription, quota=5, name="Design Studio"),
        factories.sublicense_make(
            subscription, quota=10, name="Branch Office", type=LicenseKey.Type.DYNAMIC
        ),
    ]
    context = {"company": company, "license_keys": keys}
    demo.seed(context)
    demo.seed(context)

    servers = {s.site_code: s for s in ProxyServer.objects.all()}
    assert len(servers) == 4
    assert servers["OLD"].status == "deactivated"
    assert servers["DSG"].method == "offline"
    assert servers["BR1"].registered_computers > 10  # over its quota of 10
    assert all(s.installation_key_id.startswith("k-") for s in servers.values())
    assert UsageReport.objects.filter(proxy_server=servers["HQ1"]).count() == 8
