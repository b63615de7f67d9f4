"""The Offline Activation and Validation page: who may use it, and the upload flow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import AuditLog
from licensing import signing
from licensing.client import envelope
from licensing.models import UsedNonce
from proxies.models import ProxyServer
from subscriptions.selectors import product_nav
from tests.licensing import factories

pytestmark = pytest.mark.django_db

URL = "/offline/"


@pytest.fixture
def subscription(company):
    today = timezone.localdate()
    return factories.subscription_make(
        company,
        licenses=5,
        offline=True,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=335),
    )


@pytest.fixture
def now():
    return timezone.now()


def upload(client: Client, text: str | bytes, name: str = "request.txt"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        URL, {"step": "inspect", "request_file": SimpleUploadedFile(name, data, "text/plain")}
    )


def confirm(client: Client, text: str):
    return client.post(URL, {"step": "confirm", "request_text": text})


def download(client: Client, response) -> str:
    token = response.context["answer_token"]
    answer = client.get(f"/offline/answers/{token}/")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment;")
    return answer.content.decode()


def state() -> tuple:
    return (
        list(ProxyServer.objects.values()),
        UsedNonce.objects.count(),
        AuditLog.objects.count(),
    )


# --- who may use it -----------------------------------------------------------------------


def test_an_administrator_gets_the_upload_form(alice_client):
    response = alice_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Offline Activation and Validation" in html
    assert 'type="file"' in html and 'name="request_file"' in html
    assert '<label for="id_request_file"' in html and "Select File" in html
    assert "data-dropzone-area" in html


def test_a_regular_member_sees_an_explanation_and_no_upload(bob_client, primary_key, proxy, now):
    response = bob_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Only Account Administrators can submit request files" in html
    assert 'type="file"' not in html
    text = proxy.activation(primary_key.key, method="offline", now=now)
    before = state()
    assert upload(bob_client, text).status_code == 403
    assert confirm(bob_client, text).status_code == 403
    assert state() == before


def test_a_blocked_member_does_not_get_the_company_page(dave_client):
    # dave's only active account is his personal one: the page is for business accounts.
    assert dave_client.get(URL).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_another_companys_administrator_is_told_the_key_is_not_valid(
    charlie_client, primary_key, proxy, now
):
    before = state()
    response = upload(charlie_client, proxy.activation(primary_key.key, method="offline", now=now))
    assert response.status_code == 400
    assert "This license key is not valid or not registered." in response.content.decode()
    response = confirm(charlie_client, proxy.activation(primary_key.key, method="offline", now=now))
    assert "This license key is not valid or not registered." in response.content.decode()
    assert state() == before


# --- the flow -----------------------------------------------------------------------------


def test_offline_activation_refresh_and_deactivation(alice_client, alice, primary_key, proxy, now):
    # Activation: the page says what the file is, then gives the activation file.
    text = proxy.activation(primary_key.key, method="offline", now=now)
    response = upload(alice_client, text)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Offline activation request" in html
    assert "pmm.alice.example" in html and primary_key.key in html
    assert "What it will do:" in html
    assert ProxyServer.objects.count() == 0  # nothing happens before the confirmation

    response = confirm(alice_client, text)
    assert response.status_code == 200
    assert "Download License Activation File" in response.content.decode()
    answer = envelope.open_envelope(
        download(alice_client, response),
        expected_types="activation_response",
        public_keys=signing.public_keys(),
    )
    assert answer.payload["activation_method"] == "offline"
    server = ProxyServer.objects.get()
    assert (server.method, server.status) == ("offline", "active")
    entry = AuditLog.objects.get(action="proxy_server.activated")
    assert (entry.actor, entry.channel) == (alice, AuditLog.Channel.OFFLINE)

    # Refresh with usage: the subscription information file.
    usage = {"registered_computers": 3, "peak": 4, "date": now.date().isoformat()}
    text = proxy.refresh(method="offline", usage=usage, now=now)
    html = upload(alice_client, text).content.decode()
    assert "Offline refresh request" in html and "3 computers" in html
    response = confirm(alice_client, text)
    assert "Download Subscription Information File" in response.content.decode()
    assert (
        "subscription-information"
        in alice_client.get(f"/offline/answers/{response.context['answer_token']}/")[
            "Content-Disposition"
        ]
    )
    assert ProxyServer.objects.get().registered_computers == 3

    # Deactivation: confirmed on the page; the key is free from now on.
    text = proxy.deactivation(method="offline", now=now)
    html = upload(alice_client, text).content.decode()
    assert "Offline deactivation request" in html and "released" in html
    assert ProxyServer.objects.get().status == "active"
    response = confirm(alice_client, text)
    assert "Deactivation complete" in response.content.decode()
    assert ProxyServer.objects.get().status == "deactivated"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a request file"),
        ("Dear portal, please activate me.", "This is not a MyAccount licensing message"),
        ("x" * (64 * 1024 + 1), "larger than 64 KB"),
    ],
)
def test_files_that_are_not_requests_are_refused(alice_client, content, message):
    before = state()
    response = upload(alice_client, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state() == before


def test_a_tampered_file_is_refused_and_changes_nothing(alice_client, primary_key, proxy, now):
    text = proxy.activation(primary_key.key, method="offline", now=now)
    payload = dict(envelope.peek(text).payload, server_name="evil")
    lines = text.strip().splitlines()
    import base64
    import json

    raw = json.loads(base64.b64decode("".join(lines[1:-1])))
    raw["payload"] = payload
    forged = "\n".join([lines[0], base64.b64encode(json.dumps(raw).encode()).decode(), lines[-1]])
    before = state()
    for response in (upload(alice_client, forged), confirm(alice_client, forged)):
        assert response.status_code == 400
        assert "signature is invalid" in response.content.decode()
    assert state() == before


def test_a_replayed_file_is_refused(alice_client, primary_key, proxy, now):
    text = proxy.activation(primary_key.key, method="offline", now=now)
    assert confirm(alice_client, text).status_code == 200
    before = state()
    for response in (upload(alice_client, text), confirm(alice_client, text)):
        assert response.status_code == 400
        assert "already processed" in response.content.decode()
    assert state() == before


def test_an_answer_file_uploaded_by_mistake_is_refused(alice_client, primary_key, proxy, now):
    response = confirm(alice_client, proxy.activation(primary_key.key, method="offline", now=now))
    answer = download(alice_client, response)
    before = state()
    for response in (upload(alice_client, answer), confirm(alice_client, answer)):
        assert response.status_code == 400
        assert response.context["error"] == (
            "Expected a message of type activation_request or deactivation_request or "
            "refresh_request, got one of type activation_response."
        )
        assert response.context["error"] in response.content.decode()
    assert state() == before


def test_offline_activation_where_sales_did_not_enable_it(alice_client, company, proxy, now):
    today = timezone.localdate()
    subscription = factories.subscription_make(
        company, starts_on=today, ends_on=today + timedelta(days=30), offline=False
    )
    key = factories.primary_key_make(subscription)
    text = proxy.activation(key.key, method="offline", now=now)
    before = state()
    # The confirm step is refused too: its request text comes from the browser.
    for response in (upload(alice_client, text), confirm(alice_client, text)):
        assert response.status_code == 400
        assert response.context["error"] == (
            "Offline activation is not enabled for this subscription. Ask your sales "
            "representative to enable it."
        )
        assert "Ask your sales representative to enable it." in response.content.decode()
        assert "answer_token" not in response.context
    assert state() == before


def test_answers_cannot_be_fetched_by_others(alice_client, charlie_client, primary_key, proxy, now):
    response = confirm(alice_client, proxy.activation(primary_key.key, method="offline", now=now))
    token = response.context["answer_token"]
    assert charlie_client.get(f"/offline/answers/{token}/").status_code == 404
    assert alice_client.get("/offline/answers/nonsense/").status_code == 404


def test_the_page_leads_with_the_consoles_steps_and_keeps_the_product_navigation(
    alice_client, company, subscription
):
    import re

    page = re.sub(r"\s+", " ", alice_client.get(URL).content.decode())
    # Reached from the product's More menu, as the guide says; the navigation stays.
    assert '<nav class="product-nav"' in page
    assert 'aria-current="page">Offline Activation and Validation</a>' in page
    steps = page.index("Go back to the Configuration Manager console")
    assert "click <strong>Browse</strong> and select the license activation file" in page
    # The reference client is a collapsed note after the console's steps, and the
    # console's dialog carries the product's own name.
    note = page.index('<details class="note"> <summary>Using the <code>pmm-proxy</code>')
    assert steps < note < page.index("pmm-proxy --state DIR import FILE")
    product = product_nav(account=company, code=None)["product"]
    assert f"<strong>{product.name} - Activate License</strong>" in page
    assert "Parallels Mac Management" not in page
    # The native file input is hidden visually only: it keeps its id, name and label.
    file_input = re.search(r'<input type="file"[^>]*>', page).group(0)
    assert 'class="dropzone__input"' in file_input and "hidden" not in file_input
    assert (
        '<label for="id_request_file" class="button button--secondary">Select File</label>' in page
    )
    assert "data-dropzone-name" in page
