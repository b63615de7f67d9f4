"""Deactivating from the portal an installation that was activated offline: it never
talks to us, so its key stays taken until its deactivation request file arrives."""

from __future__ import annotations

import pytest

from accounts.models import AuditLog
from licensing import services
from licensing.errors import LicensingError
from proxies import services as proxy_services
from proxies.models import ProxyServer
from proxies.selectors import license_key_usage
from tests.licensing import factories
from tests.licensing.factories import NOW, answer_open

pytestmark = pytest.mark.django_db


def offline(call, text, alice, company):
    return call(text, channel="offline", actor=alice, account=company, now=NOW)


def test_the_key_stays_taken_until_the_deactivation_file_is_uploaded(
    proxy, other_proxy, primary_key, alice, company
):
    offline(
        services.license_activate,
        proxy.activation(primary_key.key, method="offline"),
        alice,
        company,
    )
    server = ProxyServer.objects.get()

    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice, channel="web", now=NOW)
    server.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATING
    assert AuditLog.objects.filter(action="proxy_server.deactivation_requested").exists()
    # Doing it again changes nothing.
    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice, channel="web", now=NOW)
    assert AuditLog.objects.filter(action="proxy_server.deactivation_requested").count() == 1

    # Nobody else can take the key meanwhile...
    with pytest.raises(LicensingError) as error:
        services.license_activate(
            other_proxy.activation(primary_key.key), channel="online", now=NOW
        )
    assert error.value.code == "key_in_use"

    # ...the installation is told to stop at its next (offline) refresh...
    answer = offline(services.license_refresh, proxy.refresh(method="offline"), alice, company)
    assert answer_open(answer, "refresh_response").payload["status"] == "deactivated"

    # ...and its deactivation request file releases the key.
    offline(services.license_deactivate, proxy.deactivation(method="offline"), alice, company)
    server.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATED
    services.license_activate(other_proxy.activation(primary_key.key), channel="online", now=NOW)


def test_a_pending_server_still_counts_as_using_its_licenses(proxy, primary_key, alice, company):
    offline(
        services.license_activate,
        proxy.activation(primary_key.key, method="offline"),
        alice,
        company,
    )
    server = ProxyServer.objects.get()
    ProxyServer.objects.filter(pk=server.pk).update(registered_computers=3)
    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice, channel="web", now=NOW)
    assert license_key_usage([primary_key]) == {primary_key.pk: 3}


def test_an_online_installation_is_released_at_once(proxy, other_proxy, primary_key, alice):
    services.license_activate(proxy.activation(primary_key.key), channel="online", now=NOW)
    server = ProxyServer.objects.get()
    proxy_services.proxy_server_deactivate(proxy_server=server, actor=alice, channel="web", now=NOW)
    server.refresh_from_db()
    assert server.status == ProxyServer.Status.DEACTIVATED
    services.license_activate(other_proxy.activation(primary_key.key), channel="online", now=NOW)


def test_deleting_the_sublicense_releases_even_an_offline_installation(
    proxy, subscription, alice, company
):
    sublicense = factories.sublicense_make(subscription, quota=2)
    offline(
        services.license_activate,
        proxy.activation(sublicense.key, method="offline"),
        alice,
        company,
    )
    proxy_services.proxy_server_deactivate_for_key(license_key=sublicense, actor=alice, now=NOW)
    assert ProxyServer.objects.get().status == ProxyServer.Status.DEACTIVATED
