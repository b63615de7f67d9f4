"""License keys in the Django admin: what sales staff look up, and deleting a
sublicense with its installation (through `proxies.services.sublicense_delete`)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from accounts.models import AuditLog
from proxies import services
from subscriptions.errors import SubscriptionError
from subscriptions.models import LicenseKey, license_key_normalize

CHANNEL = AuditLog.Channel.ADMIN


@admin.register(LicenseKey)
class LicenseKeyAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "name",
        "type",
        "quota",
        "subscription",
        "account",
        "end_date",
        "deleted_at",
    ]
    list_filter = ["type"]
    actions = ["delete_sublicenses"]
    list_select_related = ["subscription__product", "subscription__account"]
    search_fields = [
        "key",
        "name",
        "subscription__account__name",
        "subscription__account__support_code",
        "subscription__account__memberships__user__email",
    ]
    search_help_text = "Customer (business account or support code), license key or e-mail."
    readonly_fields = [
        "subscription",
        "key",
        "name",
        "type",
        "quota",
        "renew_with_subscription",
        "expires_on",
        "deleted_at",
        "created_at",
    ]

    @admin.display(description="account")
    def account(self, obj: LicenseKey):
        return obj.subscription.account

    def get_search_results(self, request, queryset, search_term):
        normalized = license_key_normalize(search_term)
        return super().get_search_results(request, queryset, normalized or search_term)

    def has_add_permission(self, request) -> bool:
        return False  # keys come from issuing subscriptions and Create License Key

    def has_delete_permission(self, request, obj=None) -> bool:
        # Never a hard delete: the action below goes through the service.
        return False

    @admin.action(
        description="Delete the selected sublicenses (deactivates their installations)",
        permissions=["change"],
    )
    def delete_sublicenses(self, request: HttpRequest, queryset) -> None:
        deleted = 0
        for key in queryset.select_related("subscription__account"):
            try:
                services.sublicense_delete(license_key=key, actor=request.user, channel=CHANNEL)
            except SubscriptionError as error:
                self.message_user(request, f"{key}: {error.message}", messages.ERROR)
            else:
                deleted += 1
        if deleted:
            self.message_user(request, f"{deleted} sublicense(s) deleted.", messages.SUCCESS)
