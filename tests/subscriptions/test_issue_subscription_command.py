from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditLog
from subscriptions.models import LicenseKey, Subscription, license_key_normalize

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
    assert subscription.primary_key if hasattr(subscription, "primary_key") else True
    assert subscription.license_keys.get().key in out


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
