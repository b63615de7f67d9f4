from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Account, AuditLog, Feedback, Invitation, Membership, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "password1", "password2"),
            },
        ),
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "support_code", "country", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "support_code", "memberships__user__email"]
    search_help_text = "Customer (business account or support code) or a member's e-mail."
    inlines = [MembershipInline]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the portal alone writes the log (services.audit_log_record), and an
    entry once written never changes, so staff can search it but not add, edit or delete."""

    list_display = ["created_at", "account", "actor_label", "channel", "action", "target_label"]
    list_filter = ["channel", "action"]
    search_fields = ["actor_label", "actor__email", "target_label", "account__name"]
    search_help_text = "Customer (business account), e-mail, or what the entry names."
    list_select_related = ["account"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent, resent and revoked from the Users page (services)."""

    list_display = ["email", "account", "status", "created_at", "expires_at", "accepted_at"]
    list_filter = ["status"]
    search_fields = ["email", "account__name"]
    search_help_text = "Customer (business account) or the invited e-mail."
    list_select_related = ["account"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """What customers wrote with "Leave Feedback"; read-only, searchable."""

    list_display = ["created_at", "email", "account", "page", "email_status"]
    list_select_related = ["account"]
    search_fields = ["email", "account__name", "message"]
    search_help_text = "Customer (business account), e-mail or words of the message."
    readonly_fields = ["user", "email", "account", "page", "message", "created_at", "email_status"]

    def has_add_permission(self, request) -> bool:
        return False
