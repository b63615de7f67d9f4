"""The support team works tickets here: reply, internal note, status, assignee.

Every change goes through support.services, as on the pages: a public reply or a
status change reaches the ticket's watchers (one e-mail each), an internal note
reaches nobody.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from support import services
from support.errors import SupportError
from support.models import Ticket, TicketAttachment, TicketMessage, TicketWatcher


class TicketAdminForm(forms.ModelForm):
    reply = forms.CharField(
        label="Reply or note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="A reply is e-mailed to the ticket's watchers and, unless you choose another "
        "status, makes the ticket Waiting for you.",
    )
    internal = forms.BooleanField(
        label="Internal note",
        required=False,
        help_text="Only the support team sees it; nobody is e-mailed.",
    )

    class Meta:
        model = Ticket
        fields = ["status", "assignee"]


class TicketMessageInline(admin.StackedInline):
    model = TicketMessage
    extra = 0
    fields = ["created_at", "author", "from_staff", "internal", "body", "files"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    can_delete = False

    @admin.display(description="Attachments")
    def files(self, message: TicketMessage) -> str:
        # Through the view that checks access, never a MEDIA URL.
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("ticket_attachment", args=[message.ticket_id, a.pk]), a.name)
                for a in message.attachments.all()
            ),
        ) or format_html("{}", "—")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TicketWatcherInline(admin.TabularInline):
    model = TicketWatcher
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    list_display = [
        "id",
        "subject",
        "account",
        "category",
        "status",
        "assignee",
        "uses_incident",
        "updated_at",
    ]
    list_filter = [
        "status",
        "category",
        ("account", admin.RelatedOnlyFieldListFilter),
        ("subscription__product", admin.RelatedOnlyFieldListFilter),
        ("assignee", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["=id", "subject", "account__name", "account__support_code", "author__email"]
    list_select_related = ["account", "assignee"]
    readonly_fields = [
        "account",
        "author",
        "subject",
        "category",
        "subscription",
        "license_key",
        "proxy_server",
        "uses_incident",
        "created_at",
        "updated_at",
    ]
    fieldsets = (
        (None, {"fields": readonly_fields}),
        ("Work the ticket", {"fields": ["status", "assignee", "reply", "internal"]}),
    )
    inlines = [TicketMessageInline, TicketWatcherInline]
    actions = ["mark_resolved"]
    date_hierarchy = "updated_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tickets come from customers

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Ticket, form, change: bool) -> None:
        # Not obj.save(): each change goes through its service (locks, audit, e-mails).
        data = form.cleaned_data
        try:
            if "assignee" in form.changed_data:
                services.ticket_assign(ticket=obj, staff=request.user, assignee=data["assignee"])
            status = data["status"] if "status" in form.changed_data else None
            if data["reply"].strip():
                services.ticket_staff_reply(
                    ticket=obj,
                    staff=request.user,
                    message=data["reply"],
                    internal=data["internal"],
                    status=status,
                )
            elif status:
                services.ticket_status_set(ticket=obj, staff=request.user, status=status)
        except SupportError as error:
            self.message_user(request, error.message, messages.ERROR)
        obj.refresh_from_db()

    @admin.action(description="Mark the selected tickets resolved (their watchers are told)")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        done = 0
        for ticket in queryset.exclude(status=Ticket.Status.RESOLVED):
            services.ticket_status_set(
                ticket=ticket, staff=request.user, status=Ticket.Status.RESOLVED
            )
            done += 1
        self.message_user(request, f"{done} ticket(s) marked resolved.", messages.SUCCESS)


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "content_type", "size", "message"]
    fields = ["message", "name", "content_type", "size"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
