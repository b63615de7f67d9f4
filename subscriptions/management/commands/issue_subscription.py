"""manage.py issue_subscription --licenses N (--months M | --ends YYYY-MM-DD) [--trial] [--offline] [--json]

Creates a subscription with its primary key, as sales staff would (DESIGN.md contract).
"""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import AuditLog
from subscriptions.errors import SubscriptionError
from subscriptions.models import Product
from subscriptions.services import subscription_issue


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Issue a subscription (or a trial) with its primary license key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--licenses", type=_positive, required=True, help="number of licenses")
        period = parser.add_mutually_exclusive_group(required=True)
        period.add_argument("--months", type=_positive, help="length in months from today")
        period.add_argument("--ends", type=date.fromisoformat, help="end date, YYYY-MM-DD")
        parser.add_argument("--trial", action="store_true", help="a trial license")
        parser.add_argument("--offline", action="store_true", help="allow offline activation")
        parser.add_argument("--product", help="product code (default: the first product)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        product = None
        if options["product"]:
            product = Product.objects.filter(code=options["product"]).first()
            if product is None:
                raise CommandError(f"Unknown product: {options['product']}")
        try:
            subscription = subscription_issue(
                licenses=options["licenses"],
                months=options["months"],
                ends_on=options["ends"],
                trial=options["trial"],
                offline_allowed=options["offline"],
                product=product,
                channel=AuditLog.Channel.CLI,
            )
        except SubscriptionError as error:
            raise CommandError(error.message) from None
        result = {
            "subscription_id": subscription.pk,
            "license_key": subscription.primary_key.key,
            "product": subscription.product.code,
            "licenses": subscription.licenses,
            "starts_on": subscription.starts_on.isoformat(),
            "ends_on": subscription.ends_on.isoformat(),
            "trial": subscription.is_trial,
            "offline_allowed": subscription.offline_allowed,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            kind = "Trial" if subscription.is_trial else "Subscription"
            self.stdout.write(
                f"{kind} {subscription.pk}: {subscription.licenses} licenses until "
                f"{subscription.ends_on.isoformat()}, license key {result['license_key']}"
            )
