"""An administrator connects a webhook to a receiver, sees a proxy activation and a
sublicense change arrive signed, watches a failing receiver's attempts in the log and
redelivers (issue 16's "done when"), in real Chromium."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from licensing import services as licensing
from subscriptions import services as subscription_services
from tests import factories
from tests.e2e.conftest import sign_in
from tests.licensing.conftest import _portal_key  # noqa: F401 - proxies sign with a test key
from tests.licensing.factories import Installation
from tests.webhooks.conftest import Receiver
from webhooks.tasks import webhooks_sweep_task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_INSECURE = True  # a receiver on this machine, over http
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def test_an_administrator_connects_a_receiver_and_redelivers(page, alice, company, receiver):
    subscription = factories.subscription_create(company, licenses=10, name="Headquarters")
    sign_in(page, "alice@example.com", factories.PASSWORD)
    page.goto("/account/business/")
    page.get_by_role("navigation", name="Business Profile").get_by_role(
        "link", name="Webhooks"
    ).click()
    page.get_by_role("link", name="Add endpoint").click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("Our ticketing system")
    page.get_by_label("proxy_server.activated", exact=False).check()
    page.get_by_label("sublicense.changed", exact=False).check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")

    proxy = Installation()
    licensing.license_activate(
        proxy.activation(subscription.primary_key.key, now=timezone.now()), channel="online"
    )
    key = subscription_services.sublicense_create(
        subscription=subscription, actor=alice, quota=2, type="reserved", name="Branch"
    )
    # The sweep sends the activation, then the change: the receiver stumbles on the second.
    receiver.answers = [200, 500]
    subscription_services.sublicense_update(
        license_key=key,
        actor=alice,
        quota=4,
        type="reserved",
        name="Branch",
        renew_with_subscription=True,
    )
    webhooks_sweep_task()  # what beat does every few seconds

    assert [e["type"] for e in receiver.events(secret)] == [
        "proxy_server.activated",
        "sublicense.changed",
    ]
    page.get_by_role("link", name="Done").click()
    log = page.get_by_role("table", name="Delivery log")
    expect(log.get_by_role("row")).to_have_count(3)
    expect(log).to_contain_text("Pending")
    expect(log).to_contain_text("500")

    log.get_by_role("link", name="evt_").first.click()
    expect(page.get_by_role("table", name="Attempts")).to_contain_text("500")
    page.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_role("table", name="Attempts")).to_contain_text("200")
    assert [e["type"] for e in receiver.events(secret)] == [
        "proxy_server.activated",
        "sublicense.changed",
        "sublicense.changed",
    ]
