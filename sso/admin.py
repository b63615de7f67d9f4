from django.contrib import admin

from sso.models import SsoConfig, SsoDomain


@admin.register(SsoDomain)
class SsoDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "account", "verified_at", "last_checked"]
    search_fields = ["domain", "account__name"]
    readonly_fields = ["token", "verified_at", "last_checked"]


@admin.register(SsoConfig)
class SsoConfigAdmin(admin.ModelAdmin):
    list_display = ["account", "social_app", "require_sso"]
