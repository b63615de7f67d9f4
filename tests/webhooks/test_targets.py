"""Endpoints may not reach the portal's own network: refused at creation when the URL
names such an address, and at delivery time when its host resolves to one or a
receiver redirects there. Production settings here: no http, no loopback."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from accounts.models import AuditLog
from tests.webhooks.conftest import endpoint_make
from webhooks import network, services
from webhooks.errors import WebhookError
from webhooks.models import Attempt, Delivery, Endpoint

FORBIDDEN = {
    "loopback": "127.0.0.1",
    "loopback elsewhere in 127/8": "127.10.0.5",
    "IPv6 loopback": "[::1]",
    "IPv4-mapped loopback": "[::ffff:127.0.0.1]",
    "private 10/8": "10.0.0.7",
    "private 172.16/12": "172.16.5.4",
    "private 192.168/16": "192.168.1.1",
    "IPv6 unique local": "[fd12:3456::1]",
    "link-local": "169.254.10.10",
    "IPv6 link-local": "[fe80::1]",
    "metadata": "169.254.169.254",
    "Alibaba metadata": "100.100.100.200",
    "shared address space": "100.64.0.1",
    "unspecified": "0.0.0.0",
    "multicast": "224.0.0.1",
}


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    settings.WEBHOOKS_ALLOWED_NETWORKS = []


def nothing_changed(before: tuple) -> bool:
    return before == (
        Endpoint.objects.count(),
        AuditLog.objects.filter(action__startswith="webhook_endpoint.").count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("host", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_it_refuses_an_endpoint_at_a_forbidden_address(production, alice, company, host):
    before = (Endpoint.objects.count(), 0)
    with pytest.raises(WebhookError) as refused:
        endpoint_make(company, alice, f"https://{host}/hooks")
    assert refused.value.code == "url_refused"
    assert nothing_changed(before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hooks",  # https only in production
        "http://127.0.0.1:8080/hooks",
        "ftp://example.com/hooks",
        "https://user:password@example.com/hooks",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https:///hooks",
        "https://[::1/hooks",
        "not a url",
        # Hosts that can never be delivered to, refused when the endpoint is made.
        "https://localhost/hooks",
        "https://hooks.localhost/hooks",
        "https://2130706433/hooks",  # 127.0.0.1 as one number
        "https://0x7f000001/hooks",
        "https://127.1/hooks",
        "https://hooks example.com/hooks",
        "https://hooks%00.example.com/hooks",
        "https://hooks%20example.com/hooks",
        "https://-hooks.example.com/hooks",
        "https://hooks.example.123/hooks",
    ],
)
def test_it_refuses_urls_that_are_not_https_to_the_internet(production, alice, company, url):
    before = (Endpoint.objects.count(), 0)
    with pytest.raises(WebhookError):
        endpoint_make(company, alice, url)
    assert nothing_changed(before)


@pytest.mark.parametrize("host", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_the_address_check_names_each_forbidden_class(production, host):
    reason = network.address_refusal(ipaddress.ip_address(host.strip("[]")))
    assert reason is not None


def test_a_public_address_is_allowed(production):
    assert network.address_refusal(ipaddress.ip_address("93.184.215.14")) is None
    assert network.address_refusal(ipaddress.ip_address("2606:2800:21f:cb07::1")) is None


@pytest.mark.django_db
def test_an_on_premises_installation_may_allow_its_private_range(
    production, settings, alice, company
):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    endpoint, _ = endpoint_make(company, alice, "https://10.20.3.4/hooks")
    assert endpoint.pk
    with pytest.raises(WebhookError):
        endpoint_make(company, alice, "https://10.21.3.4/hooks")
    # Metadata stays refused whatever is listed.
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["169.254.0.0/16"]
    with pytest.raises(WebhookError):
        endpoint_make(company, alice, "https://169.254.169.254/latest/meta-data/")


@pytest.mark.django_db(transaction=True)
def test_a_name_that_resolves_to_a_forbidden_address_is_refused_at_delivery(
    production, alice, company, receiver
):
    # This machine's name passes the form (a name, not an address), and resolves to
    # loopback when the event is sent: the receiver listening there is never contacted.
    name = socket.gethostname().lower()
    if not ipaddress.ip_address(socket.gethostbyname(name)).is_loopback:
        pytest.skip(f"{name} does not resolve to a loopback address here")
    endpoint, _ = endpoint_make(company, alice, f"https://{name}:{receiver.port}/hooks")
    services.endpoint_test_send(endpoint=endpoint, actor=alice)

    attempt = Attempt.objects.get()
    assert attempt.status_code is None and not attempt.succeeded
    assert f"{name} resolves to a loopback address." in attempt.error
    assert "127." not in attempt.error  # the address itself is not the tenant's business
    assert receiver.connections == 0
    assert Delivery.objects.get().status == "pending"  # retried: DNS may change


@pytest.mark.django_db(transaction=True)
def test_a_redirect_is_not_followed(alice, company, receiver_factory):
    target = receiver_factory()
    redirecting = receiver_factory(answers=[("redirect", target.url)])
    endpoint, _ = endpoint_make(company, alice, redirecting.url)
    services.endpoint_test_send(endpoint=endpoint, actor=alice)

    attempt = Attempt.objects.get()
    assert attempt.status_code == 302 and not attempt.succeeded
    assert attempt.error == "Redirect not followed."
    assert target.connections == 0


@pytest.mark.django_db(transaction=True)
def test_a_redirect_to_a_forbidden_address_is_not_followed(
    production, settings, alice, company, receiver_factory
):
    # The receiver is reachable (its range is allowed); it redirects to metadata.
    settings.WEBHOOKS_ALLOW_INSECURE = True
    redirecting = receiver_factory(answers=[("redirect", "http://169.254.169.254/latest/")])
    endpoint, _ = endpoint_make(company, alice, redirecting.url)
    services.endpoint_test_send(endpoint=endpoint, actor=alice)

    # One attempt, to the receiver; its redirect is the answer, not a second request.
    attempt = Attempt.objects.get()
    assert attempt.status_code == 302 and attempt.error == "Redirect not followed."
    assert redirecting.connections == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/in",
        "https://Hooks.Example.COM./in",
        "https://bücher.example/in",
        "https://93.184.215.14:8443/in",
        "https://[2606:2800:21f:cb07::1]/in",
        "https://hooks_1.example.com/in",
    ],
)
def test_a_host_name_or_public_address_is_accepted_without_resolving_it(
    production, alice, company, url
):
    # .example names resolve to nothing: resolution happens at delivery, not here.
    endpoint, _ = endpoint_make(company, alice, url)
    assert Endpoint.objects.get().pk == endpoint.pk


def test_a_unicode_host_is_sent_as_its_idna_name(production):
    assert network.url_check("https://bücher.example/in").host == "xn--bcher-kva.example"
