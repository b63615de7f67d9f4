"""subscriptions cannot import proxies (dependencies point one way), so it names the
statuses in which an installation holds its key itself: they must stay the same."""

from proxies.models import ProxyServer
from subscriptions.selectors import HOLDING_PROXY_STATUSES


def test_subscriptions_counts_the_same_holding_statuses_as_the_model():
    assert set(HOLDING_PROXY_STATUSES) == set(ProxyServer.HOLDING_STATUSES)


def test_the_one_installation_per_key_index_covers_the_holding_statuses():
    constraints = {c.name: c for c in ProxyServer._meta.constraints}
    for name in ("proxy_one_installation_per_key", "proxy_one_key_per_installation"):
        (lookup, statuses) = constraints[name].condition.children[0]
        assert lookup == "status__in"
        assert set(statuses) == set(ProxyServer.HOLDING_STATUSES)
