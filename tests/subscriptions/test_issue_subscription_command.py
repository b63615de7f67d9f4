from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import AuditLog
from subscriptions.models import LicenseKey, Product, Subscription, license_key_normalize

pytestmark = pytest.mark.django_db


def test_it_issues_a_subscription_and_prints_json(capsys):
    call_command("issue_subscription", "--licenses", "25", "--months", "12", "--json")
    result = json.loads(capsys.readouterr().out)
    subscription = Subscription.objects.get(pk=result["subscription_id"])
    assert subscription.licenses == result["licenses"] == 25
    assert subscription.account is None and not subscription.is_trial
    key = LicenseKey.objects.get(key=result["license_key"])
    assert key.is_primary and key.subscription == subscription
    assert license_key_normalize(result["license_key"]) == result["license_key"]
    assert subscription.orders.get().kind == "purchase"
    assert AuditLog.objects.get(action="subscription.issued").channel == "cli"


def test_it_issues_a_trial_with_offline_activation_until_a_date(capsys):
    call_command(
        "issue_subscription", "--licenses", "3", "--ends", "2099-12-31", "--trial", "--offline"
    )
    out = capsys.readouterr().out
    subscription = Subscription.objects.get()
    assert subscription.is_trial and subscription.offline_allowed
    assert subscription.ends_on == date(2099, 12, 31)
    key = subscription.license_keys.get()  # its one key is the primary key, printed
    assert key.type == LicenseKey.Type.PRIMARY and key.name == "Primary Key"
    assert key.key in out


@pytest.mark.parametrize(
    "args",
    [
        ["--licenses", "3"],
        ["--licenses", "3", "--months", "1", "--ends", "2099-01-01"],
        ["--licenses", "0", "--months", "1"],
        ["--licenses", "3", "--ends", "31/12/2099"],
        ["--months", "1"],
    ],
)
def test_it_refuses_bad_arguments(args):
    with pytest.raises((CommandError, SystemExit)):
        call_command("issue_subscription", *args)
    assert not Subscription.objects.exists()


def test_an_end_date_in_the_past_is_refused():
    with pytest.raises(CommandError, match="cannot be before the start date"):
        call_command("issue_subscription", "--licenses", "3", "--ends", "2000-01-01")
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("today", "ends_on"),
    [
        # Whole calendar months from today (subscriptions.services.months_add), not
        # 30-day months; the 30th of November plus three is the last day of February.
        (date(2026, 5, 15), date(2026, 8, 15)),
        (date(2025, 11, 30), date(2026, 2, 28)),
    ],
)
def test_months_sets_the_end_date(capsys, today, ends_on):
    with time_machine.travel(datetime(today.year, today.month, today.day, 12, tzinfo=UTC)):
        call_command("issue_subscription", "--licenses", "3", "--months", "3", "--json")
    result = json.loads(capsys.readouterr().out)
    assert (result["starts_on"], result["ends_on"]) == (today.isoformat(), ends_on.isoformat())
    subscription = Subscription.objects.get()
    assert (subscription.starts_on, subscription.ends_on) == (today, ends_on)


def test_an_unknown_product_is_refused_and_creates_nothing():
    Product.objects.get_or_create(code="pmm", defaults={"name": "Parallels Mac Management"})
    with pytest.raises(CommandError, match="Unknown product: nope"):
        call_command("issue_subscription", "--licenses", "3", "--months", "1", "--product", "nope")
    assert not Subscription.objects.exists() and not LicenseKey.objects.exists()


def test_an_end_date_before_today_is_refused_and_today_is_accepted(capsys):
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False):
        yesterday = (date(2026, 3, 1) - timedelta(days=1)).isoformat()
        with pytest.raises(CommandError, match="cannot be before the start date"):
            call_command("issue_subscription", "--licenses", "3", "--ends", yesterday)
        assert not Subscription.objects.exists() and not LicenseKey.objects.exists()
        call_command("issue_subscription", "--licenses", "3", "--ends", "2026-03-01", "--json")
    assert json.loads(capsys.readouterr().out)["ends_on"] == "2026-03-01"


@pytest.mark.parametrize("months", ["0", "-1", "-12"])
def test_a_period_of_no_or_negative_months_is_refused(months):
    with pytest.raises(CommandError, match="months"):
        call_command("issue_subscription", "--licenses", "3", "--months", months)
    assert not Subscription.objects.exists() and not LicenseKey.objects.exists()
