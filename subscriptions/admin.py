"""What sales staff need: issue subscriptions and trials, upgrade, renew, toggle
offline activation — each through the services, each leaving an Order and an audit
log entry. Licenses and dates are read-only on the change form for that reason.
License keys have their admin in `proxies.admin`: deleting a sublicense deactivates
its installation."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import AuditLog
from subscriptions import services
from subscriptions.errors import SubscriptionError
from subscriptions.models import (
    Download,
    LicenseKey,
    Order,
    Product,
    Subscription,
    license_key_normalize,
)

CHANNEL = AuditLog.Channel.ADMIN


class IssueSubscriptionForm(forms.Form):
    """Issue a subscription or a trial: one form in three parts (what, how long, for whom
    and how), each field saying what it does."""

    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("name"),
        help_text="What the customer buys. Downloads and support follow the product.",
    )
    licenses = forms.IntegerField(
        label="Number of licenses",
        min_value=1,
        help_text="How many computers the subscription may manage: the pool of its "
        "primary license key, from which the customer carves sublicenses.",
    )
    trial = forms.BooleanField(
        required=False,
        label="Trial license",
        help_text="Shown to the customer as Trial; usually one month.",
    )
    starts_on = forms.DateField(
        label="Start date",
        required=False,
        help_text="Leave empty to start today.",
        widget=widgets.AdminDateWidget,
    )
    months = forms.IntegerField(
        label="Length in months",
        min_value=1,
        required=False,
        help_text="Either a length in months from the start date…",
    )
    ends_on = forms.DateField(
        label="End date",
        required=False,
        help_text="…or an end date (leave the months empty). The last day it is valid.",
        widget=widgets.AdminDateWidget,
    )
    offline_allowed = forms.BooleanField(
        required=False,
        label="Offline activation allowed",
        help_text="Lets the customer activate proxy servers with request files on the "
        "Offline Activation and Validation page.",
    )
    name = forms.CharField(
        label="Display name",
        required=False,
        max_length=200,
        help_text="Optional; the customer can rename it. Default: the product's name.",
    )
    contract_details = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown on the subscription's page under Contract Details.",
    )

    fieldsets = (
        ("What", ("product", "licenses", "trial")),
        ("How long", ("starts_on", "months", "ends_on")),
        ("Options", ("offline_allowed", "name", "contract_details")),
    )

    def grouped(self) -> list[tuple[str, list]]:
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("months") is None) == (cleaned.get("ends_on") is None):
            raise forms.ValidationError("Give either a number of months or an end date.")
        return cleaned


class UpgradeForm(forms.Form):
    licenses_added = forms.IntegerField(label="Licenses to add", min_value=1)


class RenewForm(forms.Form):
    months = forms.IntegerField(min_value=1, required=False, help_text="Extend by months…")
    ends_on = forms.DateField(
        label="New end date",
        required=False,
        help_text="…or to a date.",
        widget=widgets.AdminDateWidget,
    )

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("months") is None) == (cleaned.get("ends_on") is None):
            raise forms.ValidationError("Give either a number of months or a new end date.")
        return cleaned


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "support_url", "support_phone"]
    prepopulated_fields = {"code": ["name"]}


class LicenseKeyInline(admin.TabularInline):
    model = LicenseKey
    extra = 0
    can_delete = False
    fields = ["key", "name", "type", "quota", "renew_with_subscription", "expires_on", "deleted_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OrderInline(admin.TabularInline):
    model = Order
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "quantity", "licenses_after", "ends_on_after", "created_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "display_name",
        "account",
        "support_code",
        "licenses",
        "starts_on",
        "ends_on",
        "is_trial",
        "offline_allowed",
        "primary_key",
    ]
    list_filter = ["product", "is_trial", "offline_allowed", "renewal"]
    list_select_related = ["product", "account"]
    search_fields = [
        "name",
        "license_keys__key",
        "account__name",
        "account__support_code",
        "account__memberships__user__email",
    ]
    search_help_text = "Customer (business account or support code), license key or e-mail."
    readonly_fields = [
        "product",
        "account",
        "licenses",
        "starts_on",
        "ends_on",
        "is_trial",
        "offline_allowed",
        "registered_at",
        "created_at",
    ]
    fields = (
        readonly_fields[:2]
        + ["name", "renewal", "contract_details", "support_incidents"]
        + readonly_fields[2:]
    )
    inlines = [LicenseKeyInline, OrderInline]
    actions = ["upgrade", "renew", "offline_enable", "offline_disable"]
    date_hierarchy = "ends_on"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("license_keys")

    @admin.display(description="support code", ordering="account__support_code")
    def support_code(self, obj: Subscription) -> str:
        return obj.account.support_code if obj.account and obj.account.support_code else "—"

    @admin.display(description="primary key")
    def primary_key(self, obj: Subscription) -> str:
        return next((k.key for k in obj.license_keys.all() if k.is_primary), "—")

    def get_search_results(self, request, queryset, search_term):
        # Keys are accepted as customers type them: any case, spaces, missing dashes.
        normalized = license_key_normalize(search_term)
        if normalized:
            search_term = normalized
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the order history and audit log must keep naming it

    # Issue a subscription or a trial: the "Add" page, through subscription_issue.

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)  # 403
        initial = {
            "product": Product.objects.order_by("id").first(),
            "months": 12,
            "trial": request.GET.get("trial") == "1",
        }
        if initial["trial"]:
            initial["months"] = 1
        form = IssueSubscriptionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                subscription = services.subscription_issue(
                    licenses=data["licenses"],
                    months=data["months"],
                    ends_on=data["ends_on"],
                    starts_on=data["starts_on"],
                    trial=data["trial"],
                    offline_allowed=data["offline_allowed"],
                    product=data["product"],
                    name=data["name"],
                    contract_details=data["contract_details"],
                    actor=request.user,
                    channel=CHANNEL,
                )
            except SubscriptionError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(
                    request,
                    f"Issued {subscription}: license key {subscription.primary_key.key}",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
                )
        return self._form_page(
            request,
            title="Issue a trial license" if initial["trial"] else "Issue a subscription",
            form=form,
        )

    def _form_page(self, request, *, title: str, form, queryset=None, action: str = ""):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "opts": self.model._meta,
            "queryset": queryset,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/subscriptions/subscription/form_page.html", context)

    # Actions on selected subscriptions

    @admin.action(description="Upgrade: add licenses", permissions=["change"])
    def upgrade(self, request, queryset):
        form = UpgradeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for subscription in queryset:
                services.subscription_upgrade(
                    subscription=subscription,
                    licenses_added=form.cleaned_data["licenses_added"],
                    actor=request.user,
                    channel=CHANNEL,
                )
            self.message_user(
                request, f"Upgraded {len(queryset)} subscription(s).", messages.SUCCESS
            )
            return None
        return self._form_page(
            request, title="Upgrade subscriptions", form=form, queryset=queryset, action="upgrade"
        )

    @admin.action(description="Renew: extend the end date", permissions=["change"])
    def renew(self, request, queryset):
        form = RenewForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, refused = 0, []
            for subscription in queryset:
                try:
                    services.subscription_renew(
                        subscription=subscription,
                        months=form.cleaned_data["months"],
                        ends_on=form.cleaned_data["ends_on"],
                        actor=request.user,
                        channel=CHANNEL,
                    )
                    done += 1
                except SubscriptionError as error:
                    refused.append(f"{subscription}: {error.message}")
            if done:
                self.message_user(request, f"Renewed {done} subscription(s).", messages.SUCCESS)
            for line in refused:
                self.message_user(request, line, messages.ERROR)
            return None
        return self._form_page(
            request, title="Renew subscriptions", form=form, queryset=queryset, action="renew"
        )

    @admin.action(description="Enable offline activation", permissions=["change"])
    def offline_enable(self, request, queryset):
        self._offline_set(request, queryset, allowed=True)

    @admin.action(description="Disable offline activation", permissions=["change"])
    def offline_disable(self, request, queryset):
        self._offline_set(request, queryset, allowed=False)

    def _offline_set(self, request, queryset, *, allowed: bool) -> None:
        for subscription in queryset:
            services.subscription_offline_set(
                subscription=subscription, allowed=allowed, actor=request.user, channel=CHANNEL
            )
        state = "enabled" if allowed else "disabled"
        self.message_user(
            request,
            f"Offline activation {state} for {len(queryset)} subscription(s).",
            messages.SUCCESS,
        )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "subscription",
        "kind",
        "quantity",
        "licenses_after",
        "ends_on_after",
        "created_by",
    ]
    list_filter = ["kind"]
    list_select_related = ["subscription__product", "created_by"]
    search_fields = [
        "subscription__license_keys__key",
        "subscription__account__name",
        "subscription__account__memberships__user__email",
    ]
    search_help_text = "Customer (business account), license key or e-mail."

    def has_add_permission(self, request) -> bool:
        return False  # orders come from the sales actions

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DownloadForm(forms.ModelForm):
    external_url = forms.URLField(
        label="External URL",
        required=False,
        assume_scheme="https",
        help_text="Instead of a file: where the download lives.",
    )

    class Meta:
        model = Download
        fields = [
            "product",
            "version",
            "kind",
            "title",
            "description",
            "file",
            "external_url",
            "size",
            "sha256",
            "published",
        ]

    def clean(self):
        cleaned = super().clean()
        has_file = bool(cleaned.get("file"))
        has_url = bool(cleaned.get("external_url"))
        if has_file == has_url:
            raise forms.ValidationError("Upload a file or give an external URL (one of them).")
        sha256 = (cleaned.get("sha256") or "").strip().lower()
        if sha256 and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256)):
            self.add_error("sha256", "A SHA-256 checksum is 64 hexadecimal characters.")
        return cleaned


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    """Sales staff publish files and documents per product version (the Download page).
    Size and checksum are computed from an uploaded file; for an external URL they can
    be typed in."""

    form = DownloadForm
    list_display = ["title", "product", "version", "kind", "size", "published", "published_at"]
    list_filter = ["product", "version", "kind", "published"]
    search_fields = ["title", "version", "sha256"]
    readonly_fields = ["published_at", "created_at"]
    actions = ["publish", "unpublish"]

    def save_model(self, request: HttpRequest, obj: Download, form, change: bool) -> None:
        services.download_save(download=obj)

    @admin.action(description="Publish the selected downloads", permissions=["change"])
    def publish(self, request: HttpRequest, queryset) -> None:
        changed = services.download_publish(downloads=list(queryset), published=True)
        self.message_user(request, f"{changed} download(s) published.", messages.SUCCESS)

    @admin.action(description="Withdraw the selected downloads", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset) -> None:
        changed = services.download_publish(downloads=list(queryset), published=False)
        self.message_user(request, f"{changed} download(s) withdrawn.", messages.SUCCESS)
