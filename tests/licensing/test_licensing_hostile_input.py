"""Hostile requests: each gets a clear 4xx and changes nothing (never a 500)."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from django.db import connection

from licensing import services
from licensing.client import envelope
from licensing.errors import LicensingError
from licensing.models import UsedNonce
from proxies.models import ProxyServer
from tests.licensing import factories
from tests.licensing.factories import NOW

URL = "/api/licensing/activate/"


def post(client, text):
    with time_machine.travel(NOW, tick=False):
        return client.post(URL, {"message": text}, content_type="application/json")


def unknown_algorithm_pem(proxy) -> str:
    """A well-formed public key PEM whose algorithm identifier nobody knows."""
    der = proxy.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = der.replace(bytes.fromhex("2b6570"), bytes.fromhex("2b6563"))
    body = base64.b64encode(der).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


@pytest.mark.django_db
def test_a_public_key_of_an_unknown_algorithm_is_a_clear_400(client, proxy, primary_key):
    text = proxy.activation(primary_key.key, installation_public_key=unknown_algorithm_pem(proxy))
    response = post(client, text)
    assert response.status_code == 400
    assert "Ed25519 public key" in response.json()["error"]["message"]
    assert not ProxyServer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["server_name", "site_code", "site_description", "app_version"])
def test_control_characters_in_a_text_field_are_refused(client, proxy, primary_key, field):
    response = post(client, proxy.activation(primary_key.key, **{field: "pmm\x00host"}))
    assert response.status_code == 400
    assert "control characters" in response.json()["error"]["message"]
    assert not ProxyServer.objects.exists()
    assert not UsedNonce.objects.exists()


@pytest.mark.django_db
def test_a_message_that_claims_to_live_for_a_year_is_refused(client, proxy, primary_key):
    payload = envelope.peek(proxy.activation(primary_key.key)).payload
    text = proxy.seal("activation_request", payload, ttl=timedelta(days=365))
    response = post(client, text)
    assert response.status_code == 400
    assert "too long" in response.json()["error"]["message"]
    assert not UsedNonce.objects.exists()


@pytest.mark.django_db
def test_a_nonce_is_used_once_per_signing_key_not_across_installations(
    proxy, other_proxy, subscription
):
    # Somebody who saw another installation's file cannot burn its nonce with their own.
    first = factories.primary_key_make(subscription)
    second = factories.sublicense_make(subscription, quota=1)
    nonce = envelope.new_nonce()
    theirs = envelope.seal(
        message_type="activation_request",
        payload=envelope.peek(other_proxy.activation(second.key)).payload,
        private_key=other_proxy.private_key,
        now=NOW,
        nonce=nonce,
    )
    ours = envelope.seal(
        message_type="activation_request",
        payload=envelope.peek(proxy.activation(first.key)).payload,
        private_key=proxy.private_key,
        now=NOW,
        nonce=nonce,
    )
    services.license_activate(theirs, channel="online", now=NOW)
    services.license_activate(ours, channel="online", now=NOW)
    assert ProxyServer.objects.count() == 2
    with pytest.raises(LicensingError) as replay:
        services.license_activate(ours, channel="online", now=NOW)
    assert replay.value.code == "replayed"


@pytest.mark.django_db(transaction=True)
def test_one_installation_activating_two_keys_at_once_holds_one(company):
    subscription = factories.subscription_make(company, licenses=5)
    keys = [
        factories.primary_key_make(subscription),
        factories.sublicense_make(subscription, quota=1),
    ]
    installation = factories.Installation()
    texts = [installation.activation(k.key) for k in keys]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def activate(text: str) -> None:
        barrier.wait()
        try:
            services.license_activate(text, channel="online", now=NOW)
            outcomes.append("ok")
        except LicensingError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["installation_active", "ok"]
    assert ProxyServer.objects.filter(status="active").count() == 1
