"""The demo shows a webhook endpoint with a delivery log of every outcome."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def test_the_demo_company_has_an_endpoint_with_deliveries(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", "--password", "demo-pass-123")
    call_command("demo_data", "--password", "demo-pass-123")  # twice: still one log

    endpoint = Endpoint.objects.get()
    statuses = sorted(Delivery.objects.filter(endpoint=endpoint).values_list("status", flat=True))
    assert statuses == ["delivered", "delivered", "failed", "pending"]

    client = Client()
    client.force_login(User.objects.get(email="demo@example.com"))
    client.post(reverse("switch_account"), {"account": endpoint.account_id})
    page = client.get(reverse("webhook_endpoint", args=[endpoint.pk])).content.decode()
    assert "hooks.example.com" in page and "Delivered" in page and "Failed" in page
