"""The Dashboard's product box at a glance: licenses in use against the total (a bar),
subscriptions ending within 30 days, proxy servers silent for more than 7 days and keys
over the limit, each a link to the list that shows them.

alice administers My Company.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from proxies.models import ProxyServer
from tests import factories
from tests.proxies import factories as proxy_factories


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def fleet(company):
    today = timezone.localdate()
    main = factories.subscription_create(company, licenses=10)
    ending = factories.subscription_create(company, licenses=5, ends_on=today + timedelta(days=20))
    design = factories.license_key_create(main, 3, name="Design")
    long_ago = timezone.now() - timedelta(days=9)
    proxy_factories.proxy_create(
        company,
        key=main.primary_key,
        server_name="hq",
        registered_computers=4,
        last_report_at=timezone.now(),
    )
    proxy_factories.proxy_create(
        company, key=design, server_name="quiet", registered_computers=5, last_report_at=long_ago
    )
    proxy_factories.proxy_create(
        company,
        key=ending.primary_key,
        server_name="gone",
        last_report_at=long_ago,
        status=ProxyServer.Status.DEACTIVATED,
    )
    return main


@pytest.mark.django_db
def test_the_box_says_how_many_licenses_are_in_use_with_a_bar(alice_client, fleet):
    page = _text(alice_client.get(reverse("dashboard")))

    assert "Licenses in use</span>" in page
    # In use as Subscription Details' pool line counts it: the primary key's 4 and the
    # 3 Design holds (its 2 beyond them are its own excess: "Keys over the license limit").
    assert "7 of 15</span>" in page
    assert re.search(r'<meter class="glance__bar" min="0" max="15" value="7"', page)


@pytest.mark.django_db
def test_what_needs_a_look_is_counted_and_links_to_its_list(alice_client, fleet):
    page = _text(alice_client.get(reverse("dashboard")))

    assert re.search(
        r'href="/subscriptions/\?product=[\w-]+&amp;display=ending"><span>Ending within 30 days'
        r"</span> <span class=\"product-box__count\">1<",
        page,
    )
    # The deactivated server is not silent: it holds no key any more.
    assert re.search(
        r'href="/proxy-servers/\?display=silent"><span>Silent for more than 7 days</span> '
        r'<span class="product-box__count">1<',
        page,
    )
    assert re.search(r'Keys over the license limit</span> <span class="[^"]*">1<', page)


@pytest.mark.django_db
def test_the_lists_it_links_to_show_the_same_things(alice_client, fleet):
    ending = alice_client.get(reverse("subscription_list"), {"display": "ending"})
    silent = alice_client.get(reverse("proxy_list"), {"display": "silent"})

    assert [s.licenses for s in ending.context["page"].object_list] == [5]
    assert [s.server_name for s in silent.context["servers"]] == ["quiet"]
