"""Demo business account "My Company, Inc." with subscriptions to show every page.

Idempotent: `make run` calls it on every start; what exists is found by name and kept.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Account, AuditLog, Membership
from accounts.services import business_account_create
from subscriptions import services
from subscriptions.models import Download, LicenseKey, Product, Subscription

COMPANY = "My Company, Inc."
CHANNEL = AuditLog.Channel.SYSTEM


def _company(demo, colleagues) -> Account:
    company = Account.objects.filter(
        kind=Account.Kind.BUSINESS,
        name=COMPANY,
        memberships__user=demo,
        memberships__role=Membership.Role.ADMIN,
    ).first()
    if company is None:
        company = business_account_create(
            admin=demo,
            name=COMPANY,
            country="US",
            zip_code="98004",
            phone="(425)123-4567",
            street="500 108th Ave NE",
            city="Bellevue",
            state="WA",
            channel=CHANNEL,
        )
    for colleague in colleagues:
        Membership.objects.get_or_create(
            user=colleague, account=company, defaults={"role": Membership.Role.MEMBER}
        )
    return company


def _subscription(company: Account, name: str, **issue) -> Subscription:
    subscription = Subscription.objects.filter(account=company, name=name).first()
    if subscription is None:
        subscription = services.subscription_issue(
            account=company, name=name, channel=CHANNEL, **issue
        )
        # A demo subscription that started months ago was bought then, not today.
        start = datetime.combine(subscription.starts_on, time(9, 0), tzinfo=UTC)
        subscription.orders.update(created_at=start)
    return subscription


def seed(context: dict) -> None:
    demo = context["demo_user"]
    today = timezone.localdate()
    company = _company(demo, context.get("colleagues", []))

    main = _subscription(
        company,
        "Headquarters",
        licenses=25,
        starts_on=today - timedelta(days=120),
        months=12,
        offline_allowed=True,
        contract_details="Annual subscription, support included.\nPurchase order PO-2291.",
    )
    sublicenses = {k.name: k for k in main.license_keys.filter(deleted_at__isnull=True)}
    if "Design Studio" not in sublicenses:
        sublicenses["Design Studio"] = services.sublicense_create(
            subscription=main,
            actor=demo,
            name="Design Studio",
            quota=5,
            type=LicenseKey.Type.RESERVED,
            channel=CHANNEL,
        )
    if "Branch Office" not in sublicenses:
        sublicenses["Branch Office"] = services.sublicense_create(
            subscription=main,
            actor=demo,
            name="Branch Office",
            quota=10,
            type=LicenseKey.Type.DYNAMIC,
            renew_with_subscription=False,
            expires_on=main.ends_on - timedelta(days=30),
            channel=CHANNEL,
        )
    if "Summer Lab" not in sublicenses:
        # Ends within 30 days: shows under "Expiring soon" and in the expiry notices.
        sublicenses["Summer Lab"] = services.sublicense_create(
            subscription=main,
            actor=demo,
            name="Summer Lab",
            quota=2,
            type=LicenseKey.Type.RESERVED,
            renew_with_subscription=False,
            expires_on=today + timedelta(days=20),
            channel=CHANNEL,
        )

    # A License Administrator of the Branch Office key (Manage Users on its gear).
    license_admin = context.get("license_admin")
    if license_admin is not None:
        services.license_key_administrators_add(
            license_key=sublicenses["Branch Office"],
            memberships=list(Membership.objects.filter(user=license_admin, account=company)),
            actor=demo,
            channel=CHANNEL,
        )

    expired = _subscription(
        company,
        "2024 Pilot",
        licenses=10,
        starts_on=today - timedelta(days=400),
        ends_on=today - timedelta(days=35),
    )
    trial = _subscription(
        company, "Evaluation", licenses=5, months=1, trial=True, starts_on=today - timedelta(days=3)
    )
    # A key nobody has registered yet, to try Register Key with (find it in Django admin).
    unregistered = Subscription.objects.filter(
        account__isnull=True, name="Demo: register me"
    ).first() or services.subscription_issue(
        licenses=3, months=12, name="Demo: register me", channel=CHANNEL
    )

    context["company"] = company
    context["subscription"] = main
    context["license_keys"] = [
        main.license_keys.get(type=LicenseKey.Type.PRIMARY),
        sublicenses["Design Studio"],
        sublicenses["Branch Office"],
        sublicenses["Summer Lab"],
    ]
    context["expired_subscription"] = expired
    context["trial_subscription"] = trial
    context["unregistered_subscription"] = unregistered
    context["downloads"] = seed_downloads(main.product)
    # The Support page's Contact Support section, for a product sales left without one.
    Product.objects.filter(pk=main.product_id, support_url="", support_phone="").update(
        support_url="https://support.example.com/mac-management",
        support_phone="+1 (425) 555-0142",
    )


# Downloads: two versions with a couple of files each, generated into MEDIA_ROOT.

DEMO_DOWNLOADS = {
    "7.0": [
        ("Mac Management Proxy 7.0 installer", Download.Kind.SOFTWARE, "pmm-proxy-7.0.zip"),
        ("Administrator's Guide 7.0", Download.Kind.DOCUMENTATION, "admin-guide-7.0.txt"),
    ],
    "7.1": [
        ("Mac Management Proxy 7.1 installer", Download.Kind.SOFTWARE, "pmm-proxy-7.1.zip"),
        ("Administrator's Guide 7.1", Download.Kind.DOCUMENTATION, "admin-guide-7.1.txt"),
        ("Release notes 7.1", Download.Kind.DOCUMENTATION, "release-notes-7.1.txt"),
    ],
}


def _demo_file(title: str, version: str, filename: str) -> bytes:
    text = f"{title}\nVersion {version}\n\nDemo content generated by `make run`.\n"
    if not filename.endswith(".zip"):
        return text.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", text)
        archive.writestr("pmm-proxy.conf", "# portal = http://127.0.0.1:8000\n")
    return buffer.getvalue()


def seed_downloads(product: Product) -> list[Download]:
    """Published demo downloads; existing ones (by version and title) are kept, and a
    file that went missing from MEDIA_ROOT is written again."""
    made = []
    for version, files in DEMO_DOWNLOADS.items():
        for title, kind, filename in files:
            download = Download.objects.filter(
                product=product, version=version, title=title
            ).first()
            if (
                download is not None
                and download.file
                and download.file.storage.exists(download.file.name)
            ):
                made.append(download)
                continue
            download = download or Download(
                product=product, version=version, title=title, kind=kind, published=True
            )
            download.file.save(
                filename, ContentFile(_demo_file(title, version, filename)), save=False
            )
            made.append(services.download_save(download=download))
    return made
