"""Pages of a business account: authorise, parse, call one service, render.

The pages that show what installations use (the Dashboard, Subscription Details with
its License Keys table, deleting a sublicense with its installation) live here, with the
URLs they answer; what they need from the app that knows the usage, one layer above, is
passed in as an argument (`Usage`, wired by the project's URLconf).

Everything is looked up within `request.account` (set by accounts.middleware), so
another account's subscription or key answers 404. Regular Members see the pages
without actions; `account_admin_required` refuses their POSTs with 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.current import SESSION_KEY, account_switch
from accounts.forms import InviteForm
from accounts.models import AuditLog
from accounts.permissions import account_admin_required
from accounts.services import AccountsError
from core.confirm import Confirmation, confirmation_page
from core.errors import form_error_add
from subscriptions import downloads as download_selectors
from subscriptions import selectors, services
from subscriptions.errors import SubscriptionError
from subscriptions.forms import (
    NEW_BUSINESS_ACCOUNT,
    BusinessDetailsForm,
    LicenseKeyAdministratorsForm,
    LicenseKeyFilterForm,
    LicenseKeyRenameForm,
    RegisterKeyForm,
    SublicenseForm,
    SubscriptionFilterForm,
    SubscriptionRenameForm,
)
from subscriptions.models import (
    Download,
    LicenseKey,
    Product,
    Subscription,
    license_key_manageable,
    license_key_visible_q,
    membership_is_license_admin,
)
from subscriptions.permissions import key_manager_required

SUBSCRIPTIONS_PER_PAGE = 20
LICENSE_KEYS_PER_PAGE = 50


@dataclass(frozen=True)
class Usage:
    """What the pages that show licenses in use need from `proxies`, the app that knows
    what installations use. `proxies` sits above `subscriptions` in the layers, so these
    pages cannot import it; the project's URLconf (myaccount/urls.py) passes it in
    (subscriptions.urls.urlpatterns_for), and they live with the URLs they answer."""

    # The Dashboard's product boxes: (account=, today=) -> [ProductBox].
    dashboard_products: Callable[..., list[Any]]
    # The License Keys table: (subscription=, today=, sort=, type=, search=) -> table.
    license_key_table: Callable[..., Any]
    # Delete a sublicense and deactivate its installation: (license_key=, actor=).
    sublicense_delete: Callable[..., LicenseKey]


def _is_admin(request: HttpRequest) -> bool:
    return request.membership is not None and request.membership.is_admin


def register_form(request: HttpRequest, data=None, **kwargs) -> RegisterKeyForm:
    targets = selectors.register_key_targets(memberships=request.memberships)
    return RegisterKeyForm(
        data,
        business_accounts=targets.administered,
        member_accounts=targets.read_only,
        **kwargs,
    )


def _page_status(error: SubscriptionError) -> int:
    """A refusal is a form error (200), but for too many attempts (429)."""
    return 429 if error.status == 429 else 200


def subscription_get_or_404(request: HttpRequest, subscription_id: int) -> Subscription:
    qs = selectors.subscription_queryset(account=request.account, viewer=request.membership)
    return get_object_or_404(qs, pk=subscription_id)


def sublicense_get_or_404(subscription: Subscription, key_id: int) -> LicenseKey:
    key = get_object_or_404(
        LicenseKey.objects.exclude(type=LicenseKey.Type.PRIMARY),
        pk=key_id,
        subscription=subscription,
        deleted_at__isnull=True,
    )
    key.subscription = subscription
    return key


def _product_nav(request: HttpRequest, product) -> dict:
    """Counts for the product navigation: Proxy Servers (N), Product Subscriptions (N)."""
    return selectors.product_nav(account=request.account, product=product)


@login_required
def register_key(request: HttpRequest) -> HttpResponse:
    """Register Key: into a business account the user picks, or, for a user with none
    (or who picks "a new business account"), after the business details step. The rules
    are services.subscription_register_attempt's."""
    if request.method != "POST":
        key_form = register_form(request, initial_account=request.account)
        return render(request, "subscriptions/register_key.html", {"form": key_form})
    if "name" in request.POST:
        return _register_business_step(request)

    key_form = register_form(request, request.POST)
    if not key_form.is_valid():
        return render(request, "subscriptions/register_key.html", {"form": key_form})
    try:
        subscription = services.subscription_register_attempt(
            user=request.user,
            key=key_form.cleaned_data["key"],
            account=key_form.chosen_account(),
            channel=AuditLog.Channel.WEB,
        )
    except SubscriptionError as error:
        form_error_add(key_form, error)
        return render(
            request,
            "subscriptions/register_key.html",
            {"form": key_form},
            status=_page_status(error),
        )
    if subscription is None:  # the key is good: now the business details
        details = BusinessDetailsForm(initial={"key": key_form.cleaned_data["key"]})
        return render(request, "subscriptions/register_business.html", {"form": details})
    return _registered(request, subscription)


def _register_business_step(request: HttpRequest) -> HttpResponse:
    """Step 2, Provide your business details."""
    details = BusinessDetailsForm(request.POST)
    business = details.cleaned_data if details.is_valid() else None
    try:
        subscription = services.subscription_register_attempt(
            user=request.user,
            key=request.POST.get("key", ""),
            business=business,
            channel=AuditLog.Channel.WEB,
        )
    except SubscriptionError as error:
        if error.code == "register_rate_limited":
            form_error_add(details, error)
            return render(
                request, "subscriptions/register_business.html", {"form": details}, status=429
            )
        # The key went bad meanwhile (say, someone else registered it): start over at it.
        key_form = register_form(
            request, {"key": request.POST.get("key", ""), "account": NEW_BUSINESS_ACCOUNT}
        )
        key_form.is_valid()
        if error.code != "key_malformed":  # the form has said that already
            form_error_add(key_form, error)
        return render(request, "subscriptions/register_key.html", {"form": key_form})
    if subscription is None:
        return render(request, "subscriptions/register_business.html", {"form": details})
    return _registered(request, subscription)


def _registered(request: HttpRequest, subscription: Subscription) -> HttpResponse:
    if not account_switch(request, account_id=subscription.account_id):
        request.session[SESSION_KEY] = subscription.account_id  # the account just created
    messages.success(
        request,
        gettext("Your license key is registered to %(account)s.")
        % {"account": subscription.account.name},
    )
    return redirect("dashboard")


@login_required
def support(request: HttpRequest) -> HttpResponse:
    support = selectors.support_status(account=request.account, today=timezone.localdate())
    return render(
        request,
        "subscriptions/support.html",
        {
            "products": support.products,
            "active_subscriptions": support.active,
            "support_until": support.until,
            "last_ended": support.last_ended,
            "subscriptions": support.rows,
        },
    )


@login_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    product = selectors.product_get(code=request.GET.get("product"))
    filters = SubscriptionFilterForm(request.GET or None)
    values = filters.values()
    qs, counts = selectors.subscription_list(
        account=request.account, today=today, product=product, viewer=request.membership, **values
    )
    filters = SubscriptionFilterForm(
        {"q": values["search"], "display": values["display"], "arrange": values["arrange"]},
        counts=counts,
    )
    filters.is_valid()
    page = Paginator(qs, SUBSCRIPTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "subscriptions/subscription_list.html",
        {
            "filters": filters,
            "page": page,
            "counts": counts,
            "nav": _product_nav(request, product),
        },
    )


@account_admin_required
def subscription_rename(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = subscription_get_or_404(request, subscription_id)
    form = SubscriptionRenameForm(request.POST or None, initial={"name": subscription.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_rename(
                subscription=subscription, name=form.cleaned_data["name"], actor=request.user
            )
        except SubscriptionError as error:
            form_error_add(form, error)
        else:
            messages.success(request, gettext("The display name has been saved."))
            return redirect("subscription_detail", subscription_id=subscription.pk)
    return render(
        request,
        "subscriptions/subscription_rename.html",
        {"form": form, "subscription": subscription},
    )


@key_manager_required
def license_key_rename(request: HttpRequest, subscription_id: int, key_id: int) -> HttpResponse:
    """The pencil on a License Keys row: the key's name only (an Account Administrator,
    or a License Administrator of the key: their sublicense's name)."""
    subscription = subscription_get_or_404(request, subscription_id)
    key = sublicense_get_or_404(subscription, key_id)
    if not license_key_manageable(request.membership, key):
        raise Http404
    form = LicenseKeyRenameForm(request.POST or None, initial={"name": key.name})
    if request.method == "POST" and form.is_valid():
        try:
            # The service renames the row it locked and re-read: confirm its name, not
            # the one this view read before.
            renamed = services.license_key_rename(
                license_key=key, name=form.cleaned_data["name"], actor=request.user
            )
        except SubscriptionError as error:
            form_error_add(form, error)
        else:
            messages.success(
                request,
                gettext("The license key is now called “%(name)s”.") % {"name": renamed.name},
            )
            return redirect("subscription_detail", subscription_id=subscription.pk)
    return render(
        request,
        "subscriptions/license_key_rename.html",
        {"form": form, "subscription": subscription, "license_key": key},
    )


@account_admin_required
def license_key_create(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = subscription_get_or_404(request, subscription_id)
    today = timezone.localdate()
    available = selectors.sublicense_quota_max(
        subscription=subscription, type=LicenseKey.Type.RESERVED, today=today
    )
    form = SublicenseForm(
        request.POST or None,
        available=available,
        ends_on=subscription.ends_on,
        licenses=subscription.licenses,
        initial={"quota": 1},
    )
    if request.method == "POST" and form.is_valid():
        try:
            key = services.sublicense_create(
                subscription=subscription, actor=request.user, **form.service_kwargs()
            )
        except SubscriptionError as error:
            form_error_add(form, error)
        else:
            messages.success(
                request,
                gettext("License key “%(name)s” has been created: %(key)s")
                % {"name": key.name, "key": key.key},
            )
            return redirect("subscription_detail", subscription_id=subscription.pk)
    return render(
        request,
        "subscriptions/license_key_form.html",
        {"form": form, "subscription": subscription, "license_key": None},
    )


@account_admin_required
def license_key_update(request: HttpRequest, subscription_id: int, key_id: int) -> HttpResponse:
    subscription = subscription_get_or_404(request, subscription_id)
    key = sublicense_get_or_404(subscription, key_id)
    today = timezone.localdate()
    available = selectors.sublicense_quota_max(
        subscription=subscription, type=LicenseKey.Type.RESERVED, today=today, exclude_id=key.pk
    )
    initial = {
        "name": key.name,
        "quota": key.quota,
        "type": key.type,
        "renew_with_subscription": key.renew_with_subscription,
        "expires_on": key.expires_on,
    }
    form = SublicenseForm(
        request.POST or None,
        available=available,
        ends_on=subscription.ends_on,
        licenses=subscription.licenses,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.sublicense_update(license_key=key, actor=request.user, **form.service_kwargs())
        except SubscriptionError as error:
            form_error_add(form, error)
        else:
            messages.success(request, gettext("The license key has been saved."))
            return redirect("subscription_detail", subscription_id=subscription.pk)
    return render(
        request,
        "subscriptions/license_key_form.html",
        {"form": form, "subscription": subscription, "license_key": key},
    )


# Downloads (guide, chapter 7)

DOWNLOAD_REFUSALS = {
    download_selectors.Access.NO_ACCOUNT: gettext_lazy(
        "Downloads are available to business accounts with an active subscription."
    ),
    download_selectors.Access.NO_SUBSCRIPTION: gettext_lazy(
        "%(account)s has no subscription of %(product)s. "
        "Downloads are available to accounts with an active subscription."
    ),
    download_selectors.Access.EXPIRED: gettext_lazy(
        "The subscriptions of %(account)s to %(product)s have expired. Renew a "
        "subscription to download the software and its documentation again."
    ),
    download_selectors.Access.NOT_STARTED: gettext_lazy(
        "The subscription of %(account)s to %(product)s has not started yet. "
        "Downloads become available on its start date."
    ),
}


@login_required
def downloads(request: HttpRequest, product_code: str) -> HttpResponse:
    """The Download page: a version selector (newest first) and that version's files."""
    product = get_object_or_404(Product, code=product_code)
    access = download_selectors.download_access(
        account=request.account, product=product, today=timezone.localdate()
    )
    if access != download_selectors.Access.GRANTED:
        other_accounts = (
            [m.account for m in request.memberships if m.account_id != request.account.pk]
            if request.account
            else []
        )
        return render(
            request,
            "subscriptions/downloads_refused.html",
            {
                "product": product,
                "reason": DOWNLOAD_REFUSALS[access]
                % {
                    "account": request.account.name if request.account else "",
                    "product": product.name,
                },
                "other_accounts": other_accounts,
            },
            status=403,
        )
    versions = download_selectors.download_versions(product=product)
    wanted = request.GET.get("version", "")
    version = wanted if wanted in versions else (versions[0] if versions else None)
    return render(
        request,
        "subscriptions/downloads.html",
        {
            "product": product,
            "nav": _product_nav(request, product),
            "versions": versions,
            "version": version,
            "downloads": download_selectors.download_list(product=product, version=version)
            if version
            else [],
            "kinds": Download.Kind,
        },
    )


@login_required
def download_file(request: HttpRequest, product_code: str, download_id: int) -> HttpResponse:
    """Send one published file, after the same check as the page; 404 to anyone else,
    so that the files are never public media."""
    product = get_object_or_404(Product, code=product_code)
    access = download_selectors.download_access(
        account=request.account, product=product, today=timezone.localdate()
    )
    download = download_selectors.download_get(product=product, pk=download_id)
    if access != download_selectors.Access.GRANTED or download is None:
        raise Http404(gettext("No such download."))
    if not download.file:
        return redirect(download.external_url)
    try:
        handle = download.file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("The file is missing.")) from None
    response = FileResponse(handle, as_attachment=True, filename=download.filename)
    response["Cache-Control"] = "private, no-store"
    if download.sha256:
        response["X-Checksum-SHA256"] = download.sha256
    return response


# The pages that show what the installations use (see `Usage`)


@login_required
def dashboard(request: HttpRequest, *, usage: Usage) -> HttpResponse:
    if membership_is_license_admin(request.membership):
        # A License Administrator sees their keys, not the account's products.
        return render(
            request,
            "subscriptions/dashboard_license_admin.html",
            {"license_keys": selectors.license_keys_administered(membership=request.membership)},
        )
    boxes = usage.dashboard_products(account=request.account, today=timezone.localdate())
    return render(
        request,
        "subscriptions/dashboard.html",
        {
            "boxes": boxes,
            "all_subscriptions": sum(b.total for b in boxes),
            "register_form": register_form(request, initial_account=request.account),
        },
    )


def _sort_columns() -> list[tuple[str, str]]:
    return [
        ("name", gettext("Name")),
        ("type", gettext("Type")),
        ("quota", gettext("Quota")),
        ("used", gettext("Used")),
        ("vacant", gettext("Vacant")),
        ("expires", gettext("Expires On")),
    ]


@login_required
def subscription_detail(
    request: HttpRequest, subscription_id: int, *, usage: Usage
) -> HttpResponse:
    today: date = timezone.localdate()
    subscription = subscription_get_or_404(request, subscription_id)
    filters = LicenseKeyFilterForm(request.GET or None)
    table = usage.license_key_table(subscription=subscription, today=today, **filters.values())
    # A License Administrator sees the rows of their keys only, and nothing of the
    # subscription as a whole (the pool, orders, contract): in the rows' one query.
    key_scoped = membership_is_license_admin(request.membership)
    table.keys = table.keys.filter(license_key_visible_q(request.membership))
    # The listed rows are in memory already (the pool needs every live key): a page of
    # them is rendered, not a thousand, and the paginator asks no query of its own.
    page = Paginator(table.rows, LICENSE_KEYS_PER_PAGE).get_page(request.GET.get("page"))
    expired = subscription.is_expired(today=today)
    can_manage = _is_admin(request) and not expired
    return render(
        request,
        "subscriptions/subscription_detail.html",
        {
            "subscription": subscription,
            "table": table,
            "page": page,
            "filters": filters,
            "orders": [] if key_scoped else list(subscription.orders.all()),
            "nav": selectors.product_nav(account=request.account, product=subscription.product),
            "is_admin": _is_admin(request),
            "can_manage": can_manage,
            "can_rename": (can_manage or key_scoped) and not expired,
            "key_scoped": key_scoped,
            "expired": expired,
            # Its value picks the badge's colour; `status.label` is the translated text.
            "status": subscription.status(today=today),
            # Two dialogs on one page: distinct ids keep each <label for> on its own input.
            "create_form": SublicenseForm(
                available=table.reservable,
                ends_on=subscription.ends_on,
                licenses=subscription.licenses,
                initial={"quota": 1},
                auto_id="create_%s",
            )
            if can_manage
            else None,
            "rename_form": SubscriptionRenameForm(
                initial={"name": subscription.name}, auto_id="rename_%s"
            ),
            "sort_columns": _sort_columns(),
        },
    )


@account_admin_required
def license_key_delete(
    request: HttpRequest, subscription_id: int, key_id: int, *, usage: Usage
) -> HttpResponse:
    subscription = subscription_get_or_404(request, subscription_id)
    key = sublicense_get_or_404(subscription, key_id)
    if request.method == "POST":
        try:
            usage.sublicense_delete(license_key=key, actor=request.user)
        except SubscriptionError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                gettext("License key “%(name)s” has been deleted.") % {"name": key.display_name},
            )
        return redirect("subscription_detail", subscription_id=subscription.pk)
    return confirmation_page(
        request,
        Confirmation(
            title=gettext("Delete License Key “%(name)s”?") % {"name": key.display_name},
            message=ngettext(
                "If a %(product)s installation uses this license key, it is deactivated. "
                "Its %(count)s license return to the primary key's pool.",
                "If a %(product)s installation uses this license key, it is deactivated. "
                "Its %(count)s licenses return to the primary key's pool.",
                key.quota,
            )
            % {"product": subscription.product.name, "count": key.quota},
            action=reverse("license_key_delete", args=[subscription.pk, key.pk]),
            button=gettext("Delete"),
            cancel=reverse("license_key_update", args=[subscription.pk, key.pk]),
        ),
    )


def license_key_get_or_404(subscription: Subscription, key_id: int) -> LicenseKey:
    """Any live key of the subscription, the primary one included."""
    key = get_object_or_404(
        LicenseKey.objects.all(), pk=key_id, subscription=subscription, deleted_at__isnull=True
    )
    key.subscription = subscription
    return key


def _invite_messages(request: HttpRequest, outcome) -> None:
    if outcome.invited:
        sent = ", ".join(i.email for i in outcome.invited)
        messages.success(request, gettext("Invitations sent to: %(emails)s.") % {"emails": sent})
    if outcome.already_invited:
        messages.info(
            request,
            gettext("Already invited; the key is added to their invitation: %(emails)s.")
            % {"emails": ", ".join(outcome.already_invited)},
        )
    if outcome.already_members:
        messages.info(
            request,
            gettext(
                "Already members: Regular Members among them administer the key now: %(emails)s."
            )
            % {"emails": ", ".join(outcome.already_members)},
        )


@account_admin_required
def license_key_administrators(
    request: HttpRequest, subscription_id: int, key_id: int
) -> HttpResponse:
    """A key's gear → License Administrators → Manage Users: who administers the key,
    Add (choose members) and Remove."""
    # Queries: session, user, memberships (middleware), the subscription, the key, the
    # administrators with their users, the candidates with theirs.
    subscription = subscription_get_or_404(request, subscription_id)
    key = license_key_get_or_404(subscription, key_id)
    candidates = selectors.license_key_administrator_candidates(license_key=key)
    inviting = request.method == "POST" and request.POST.get("action") == "invite"
    data = request.POST if request.method == "POST" and not inviting else None
    form = LicenseKeyAdministratorsForm(data, candidates=candidates)
    invite_form = InviteForm(request.POST if inviting else None, prefix="invite")
    if inviting and invite_form.is_valid():
        valid, invalid = invite_form.addresses()
        if invalid:
            invite_form.add_error(
                "emails",
                gettext("Not e-mail addresses: %(emails)s.") % {"emails": ", ".join(invalid)},
            )
        else:
            try:
                outcome = services.license_key_administrators_invite(
                    license_key=key, emails=valid, actor=request.user
                )
            except AccountsError as error:
                form_error_add(invite_form, error)
            else:
                _invite_messages(request, outcome)
                return redirect("license_key_administrators", subscription.pk, key.pk)
    if request.method == "POST" and not inviting and form.is_valid():
        try:
            added = services.license_key_administrators_add(
                license_key=key,
                memberships=list(form.cleaned_data["memberships"]),
                actor=request.user,
            )
        except SubscriptionError as error:
            form_error_add(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s member is now License Administrator of “%(name)s”.",
                    "%(count)s members are now License Administrators of “%(name)s”.",
                    len(added),
                )
                % {"count": len(added), "name": key.display_name},
            )
            return redirect("license_key_administrators", subscription.pk, key.pk)
    return render(
        request,
        "subscriptions/license_key_administrators.html",
        {
            "subscription": subscription,
            "license_key": key,
            "administrators": selectors.license_key_administrator_list(license_key=key),
            "form": form,
            "invite_form": invite_form,
        },
    )


@account_admin_required
def license_key_administrator_remove(
    request: HttpRequest, subscription_id: int, key_id: int, membership_id: int
) -> HttpResponse:
    subscription = subscription_get_or_404(request, subscription_id)
    key = license_key_get_or_404(subscription, key_id)
    membership = next(
        (
            m
            for m in selectors.license_key_administrator_list(license_key=key)
            if m.pk == membership_id
        ),
        None,
    )
    if membership is None:
        raise Http404
    name = str(membership.user)
    if request.method == "POST":
        services.license_key_administrator_remove(
            license_key=key, membership=membership, actor=request.user
        )
        messages.success(
            request,
            gettext("%(person)s no longer administers “%(name)s”.")
            % {"person": name, "name": key.display_name},
        )
        return redirect("license_key_administrators", subscription.pk, key.pk)
    return confirmation_page(
        request,
        Confirmation(
            title=gettext("Remove %(person)s as License Administrator?") % {"person": name},
            message=gettext(
                "%(person)s will no longer see or manage the license key “%(name)s”, its "
                "proxy servers and its usage, from their next request on."
            )
            % {"person": name, "name": key.display_name},
            action=reverse(
                "license_key_administrator_remove", args=[subscription.pk, key.pk, membership.pk]
            ),
            button=gettext("Remove"),
            cancel=reverse("license_key_administrators", args=[subscription.pk, key.pk]),
        ),
    )
