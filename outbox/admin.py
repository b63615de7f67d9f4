"""What staff see of the outbox: queued, sent, failed (with the error), canceled.

Read-only: the outbox is a record. Bodies are not shown, since they carry links that
are credentials (confirmation, password reset, invitation); failed e-mails can be sent
again from the list.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from outbox.models import OutboxEmail
from outbox.services import email_requeue


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "status", "recipients", "subject", "attempts", "error"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "to", "kind"]
    date_hierarchy = "created_at"
    fields = [
        "kind",
        "to",
        "from_email",
        "subject",
        "status",
        "created_at",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description="To")
    def recipients(self, email: OutboxEmail) -> str:
        return ", ".join(email.to)

    @admin.display(description="Last error")
    def error(self, email: OutboxEmail) -> str:
        return email.last_error[:120]

    @admin.action(description="Send the selected failed e-mails again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        count = email_requeue(email_ids=list(queryset.values_list("id", flat=True)))
        messages.success(request, f"{count} failed e-mail(s) queued to be sent again.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
