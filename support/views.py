"""Support → Tickets: the account's tickets, a ticket's thread, and what people of the
account do with them.

Every view reads the current account from the request (personal or business); a
ticket of another account is not found (404). Support is for everyone: any active
member opens, replies to, closes and reopens the account's tickets; a Regular Member
changes only their own watching, an Account Administrator anyone's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.permissions import account_wide
from core.confirm import Confirmation, confirmation_page
from core.errors import form_error_add
from support import attachments as attachment_rules
from support import selectors, services
from support.errors import SupportError
from support.forms import (
    CATEGORY_CHOICES,
    ReplyForm,
    TicketFilterForm,
    TicketForm,
    WatcherForm,
    uploads_from,
)
from support.models import Ticket

PAGE_SIZE = 25


class KnownCountPaginator(Paginator):
    """A paginator told its count: the status counts query has already counted."""

    def __init__(self, object_list, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.count = count


def _ticket_or_404(request: HttpRequest, pk: int) -> Ticket:
    if request.membership is not None and request.membership.is_license_admin:
        # The account's tickets are not a License Administrator's (only their keys are).
        raise Http404(gettext("No such ticket."))
    ticket = selectors.ticket_get(account=request.account, pk=pk)
    if ticket is None:
        raise Http404(gettext("No such ticket."))
    return ticket


def _is_admin(request: HttpRequest) -> bool:
    return request.membership is not None and request.membership.is_admin


@login_required
@account_wide
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    # Queries, whatever the number of tickets: session, user, memberships (middleware),
    # the status counts (one aggregate), one page of tickets with their authors, and
    # the subscriptions with limited support incidents (with the incidents used).
    values = TicketFilterForm(request.GET).values()
    counts = selectors.ticket_counts(
        account=request.account, q=values["q"], category=values["category"]
    )
    tickets = selectors.ticket_list(account=request.account, **values)
    page = KnownCountPaginator(tickets, PAGE_SIZE, count=counts[values["status"]]).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "support/ticket_list.html",
        {
            "page": page,
            "tickets": page.object_list,
            "filters": values,
            "category_choices": CATEGORY_CHOICES,
            "status_choices": [
                (value, label, counts[value])
                for value, label in TicketFilterForm.base_fields["status"].choices
            ],
            "total": counts[selectors.ALL],
            "sort": values["sort"],
            "incidents": selectors.account_incidents(account=request.account),
        },
    )


@login_required
@account_wide
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    if request.account is None:
        raise Http404(gettext("No such page."))
    form = TicketForm(
        request.POST or None,
        request.FILES or None,
        account=request.account,
        viewer=request.membership,
        initial={
            "category": request.GET.get("category"),
            "subscription": request.GET.get("subscription"),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                account=request.account,
                author=request.user,
                subject=data["subject"],
                category=data["category"],
                message=data["message"],
                subscription=data.get("subscription"),
                license_key=data.get("license_key"),
                proxy_server=data.get("proxy_server"),
                uploads=uploads_from(data["attachments"]),
            )
        except SupportError as error:
            form_error_add(form, error)
        else:
            messages.success(
                request,
                gettext("Your ticket #%(number)s has been sent to the support team.")
                % {"number": ticket.pk},
            )
            return redirect("ticket_detail", pk=ticket.pk)
    return render(
        request,
        "support/ticket_new.html",
        {"form": form, "incidents": selectors.account_incidents(account=request.account)},
        status=400 if form.is_bound else 200,
    )


def _detail(request: HttpRequest, ticket: Ticket, *, reply_form=None, status=200) -> HttpResponse:
    watchers = selectors.ticket_watchers(ticket=ticket)
    watching = any(w.user_id == request.user.pk for w in watchers)
    is_admin = _is_admin(request)
    watcher_form = None
    if is_admin:
        watcher_form = WatcherForm(account=request.account)
        watcher_form.fields["user"].queryset = watcher_form.fields["user"].queryset.exclude(
            pk__in=[w.user_id for w in watchers]
        )
    return render(
        request,
        "support/ticket_detail.html",
        {
            "ticket": ticket,
            "thread": selectors.ticket_messages(ticket=ticket),
            "watchers": watchers,
            "watching": watching,
            "can_manage_watchers": is_admin,
            "watcher_form": watcher_form,
            "reply_form": reply_form or ReplyForm(),
            "incidents_left": selectors.incidents_left(subscription=ticket.subscription)
            if ticket.subscription_id
            else None,
        },
        status=status,
    )


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _ticket_or_404(request, pk))


@login_required
@require_POST
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                author=request.user,
                message=form.cleaned_data["message"],
                uploads=uploads_from(form.cleaned_data["attachments"]),
            )
        except SupportError as error:
            form_error_add(form, error)
        else:
            messages.success(request, gettext("Your reply has been sent."))
            return redirect("ticket_detail", pk=ticket.pk)
    return _detail(request, ticket, reply_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_close(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation; POST: close the ticket."""
    ticket = _ticket_or_404(request, pk)
    if request.method == "GET":
        return confirmation_page(
            request,
            Confirmation(
                title=gettext("Close ticket #%(number)s?") % {"number": ticket.pk},
                message=gettext(
                    "The support team stops working on it and nobody can reply until it is "
                    "reopened. Its watchers are told."
                ),
                items=[ticket.subject],
                action=reverse("ticket_close", args=[ticket.pk]),
                button=gettext("Close ticket"),
                cancel=reverse("ticket_detail", args=[ticket.pk]),
            ),
        )
    try:
        services.ticket_close(ticket=ticket, actor=request.user)
    except SupportError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The ticket has been closed."))
    return redirect("ticket_detail", pk=ticket.pk)


@login_required
@require_POST
def ticket_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    # Reopening takes nothing away: no confirmation.
    ticket = _ticket_or_404(request, pk)
    try:
        services.ticket_reopen(ticket=ticket, actor=request.user)
    except SupportError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The ticket has been reopened."))
    return redirect("ticket_detail", pk=ticket.pk)


def _watcher_target(request: HttpRequest) -> User | None:
    """The person the form names (an Account Administrator's choice), else oneself."""
    if not request.POST.get("user"):
        return request.user
    form = WatcherForm(request.POST, account=request.account)
    return form.cleaned_data["user"] if form.is_valid() else None


def _watching_change(
    request: HttpRequest, pk: int, *, change, own: str, other: str
) -> HttpResponse:
    """Add or remove a watcher (oneself, or the person an administrator chose) through
    `change`, the service, and say what happened."""
    ticket = _ticket_or_404(request, pk)
    user = _watcher_target(request)
    if user is None:
        messages.error(request, gettext("Choose a person of this account."))
        return redirect("ticket_detail", pk=ticket.pk)
    try:
        change(ticket=ticket, user=user, actor=request.user)
    except SupportError as error:
        messages.error(request, error.message)
    else:
        if user == request.user:
            messages.success(request, own)
        else:
            messages.success(request, other % {"name": user.get_full_name() or user.email})
    return redirect("ticket_detail", pk=ticket.pk)


@login_required
@require_POST
def ticket_watch(request: HttpRequest, pk: int) -> HttpResponse:
    return _watching_change(
        request,
        pk,
        change=services.watcher_add,
        own=gettext("You now watch this ticket."),
        other=gettext("%(name)s now watches this ticket."),
    )


@login_required
@require_POST
def ticket_unwatch(request: HttpRequest, pk: int) -> HttpResponse:
    return _watching_change(
        request,
        pk,
        change=services.watcher_remove,
        own=gettext("You no longer watch this ticket."),
        other=gettext("%(name)s no longer watches this ticket."),
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """A file of a ticket's public message, to people of the ticket's account (and any
    file to the support team); 404 to anyone else. Never from MEDIA_URL: the files are
    not public. Served as the type detected at upload, as a download, never sniffed."""
    attachment = selectors.attachment_get(account=request.account, ticket_pk=pk, pk=attachment_id)
    if (
        attachment is None
        and request.user.is_staff
        and request.user.has_perm("support.view_ticket")
    ):
        # The support team, who work every ticket in Django admin.
        attachment = selectors.attachment_get_for_staff(ticket_pk=pk, pk=attachment_id)
    if attachment is None:
        raise Http404(gettext("No such attachment."))
    return attachment_rules.attachment_response(attachment)
