"""Scenes for the support tests: alice administers My Company (subscription
"Headquarters" with its primary key and a proxy server), bob is a Regular Member, dave
is blocked, charlie administers Other Corp. erin works in the support team (staff)."""

from __future__ import annotations

import pytest

from support import services
from support.models import Ticket
from tests import factories
from tests.subscriptions.conftest import proxy_server_create

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def subscription(company):
    return factories.subscription_create(company, licenses=10, name="Headquarters")


@pytest.fixture
def proxy(subscription):
    return proxy_server_create(subscription.primary_key, 3)


@pytest.fixture
def other_subscription(other_company):
    return factories.subscription_create(other_company, licenses=3, name="Other HQ")


@pytest.fixture
def erin(db):
    user = factories.user_create("erin@support.example", "Erin", "Staff")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def ticket_create(account, author, subject: str = "Proxy will not activate", **fields) -> Ticket:
    fields.setdefault("category", Ticket.Category.TECHNICAL)
    fields.setdefault("message", "It says the key is taken.")
    return services.ticket_create(account=account, author=author, subject=subject, **fields)


@pytest.fixture
def ticket(company, alice, bob):
    """alice's technical ticket; bob watches it too."""
    ticket = ticket_create(company, alice)
    services.watcher_add(ticket=ticket, user=bob, actor=bob)
    return ticket
