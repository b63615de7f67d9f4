"""The Proxy Servers page, the server details and their actions.

Every view reads the current business account from the request; a server of another
account is not found (404). Regular Members see everything and change nothing: the
views that write are for Account Administrators only (403).
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import account_admin_required, business_account_required
from core.confirm import Confirmation, confirmation_page
from core.http import safe_next
from proxies import selectors, services
from proxies.charts import usage_chart
from proxies.exports import proxy_servers_csv_lines
from proxies.forms import (
    ColumnsForm,
    NotesForm,
    ProxyListFilterForm,
    SelectionForm,
    UsagePageForm,
)
from proxies.models import ProxyServer
from proxies.selectors import COLUMNS, Display
from subscriptions import selectors as subscription_selectors
from subscriptions.permissions import key_manager_required, may_manage_keys

PAGE_SIZE = 50


class KnownCountPaginator(Paginator):
    """A paginator told its count: the Display counts query has already counted."""

    def __init__(self, object_list, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.count = count  # replaces the cached_property: no COUNT(*) of its own


def _is_admin(request: HttpRequest) -> bool:
    return request.membership is not None and request.membership.is_admin


@business_account_required
@require_GET
def proxy_list(request: HttpRequest) -> HttpResponse:
    # Queries, whatever the number of servers: session, user, memberships (middleware),
    # the user's columns, the Display counts (one aggregate), one page of rows (its sorted
    # ids in a subquery: ProxyServerPages), the live keys of the page's subscriptions
    # with their usage (over the limit by the pool rule) and the product navigation (the
    # product with its subscription count).
    values = ProxyListFilterForm(request.GET).values()
    today = timezone.localdate()
    columns = selectors.proxy_list_columns(user=request.user)
    counts = selectors.proxy_server_counts(
        account=request.account, today=today, q=values["q"], total=True, viewer=request.membership
    )
    total = counts.pop("total")
    servers = selectors.proxy_server_list(
        account=request.account, today=today, viewer=request.membership, **values
    )
    paginator = KnownCountPaginator(
        selectors.ProxyServerPages(servers), PAGE_SIZE, count=counts[values["display"]]
    )
    page = paginator.get_page(request.GET.get("page"))
    servers = selectors.proxy_servers_over_limit(list(page.object_list), today=today)
    sort_key = values["sort"].lstrip("-")
    return render(
        request,
        "proxies/proxy_list.html",
        {
            "page": page,
            "servers": servers,
            "counts": counts,
            "display_choices": [(value, label, counts[value]) for value, label in Display.CHOICES],
            "filters": values,
            "sort_key": sort_key,
            "sort_descending": values["sort"].startswith("-"),
            # Each label translated once, not once per row (fifty rows, up to eleven cells).
            "columns": [replace(c, label=str(c.label)) for c in COLUMNS if c.key in columns],
            "all_columns": COLUMNS,
            "shown_columns": columns,
            "required_columns": selectors.REQUIRED_COLUMNS,
            "can_manage": may_manage_keys(request),
            "nav": subscription_selectors.product_nav(
                account=request.account, code=request.GET.get("product")
            ),
            # Counted already: the navigation's "Proxy Servers (N)" needs no query.
            "proxy_server_total": total,
            "nav_page": "Proxy Servers",
        },
    )


@business_account_required
@require_POST
def proxy_columns(request: HttpRequest) -> HttpResponse:
    # The columns are the user's own view of the page, not account data: Regular
    # Members pick theirs too.
    form = ColumnsForm(request.POST)
    if form.is_valid():
        services.proxy_list_columns_save(user=request.user, columns=form.cleaned_data["columns"])
        messages.success(request, gettext("Your column choice has been saved."))
    return redirect(safe_next(request, reverse("proxy_list")))


@business_account_required
@require_GET
def proxy_export(request: HttpRequest) -> StreamingHttpResponse:
    """Export to CSV: the ticked rows, or every row the Display filter and search show."""
    values = ProxyListFilterForm(request.GET).values()
    selection = SelectionForm(request.GET)
    ids = selection.cleaned_data["id"] if selection.is_valid() else []
    servers = selectors.proxy_server_list(
        account=request.account,
        today=timezone.localdate(),
        ids=ids or None,
        viewer=request.membership,
        **values,
    )
    over_limit_keys = selectors.account_keys_over_limit(
        account=request.account, today=timezone.localdate()
    )
    response = StreamingHttpResponse(
        proxy_servers_csv_lines(servers, over_limit_keys=over_limit_keys),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"proxy-servers-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def servers_confirmation(
    request: HttpRequest,
    servers: list[ProxyServer],
    *,
    back: str,
    action: str,
    title: str,
    message: str,
    button: str,
) -> HttpResponse:
    """The confirmation of an action on the servers ticked in the list: each named, and
    their ids (and where to go back) posted with the button."""
    return confirmation_page(
        request,
        Confirmation(
            title=title,
            message=message,
            items=[f"{s.server_name} ({s.site_code})" for s in servers],
            action=action,
            button=button,
            cancel=back,
            fields=[("id", str(s.pk)) for s in servers] + [("next", back)],
        ),
    )


@business_account_required
@key_manager_required
@require_http_methods(["GET", "POST"])
def proxy_deactivate(request: HttpRequest) -> HttpResponse:
    """GET: the confirmation naming the servers (pages without JavaScript); POST: do it."""
    selection = SelectionForm(request.POST if request.method == "POST" else request.GET)
    ids = selection.cleaned_data["id"] if selection.is_valid() else []
    back = safe_next(request, reverse("proxy_list"))
    if not ids:
        messages.error(request, gettext("Select one or more proxy servers first."))
        return redirect(back)
    servers = list(
        selectors.proxy_server_list(
            account=request.account, today=timezone.localdate(), ids=ids, viewer=request.membership
        ).exclude(status=ProxyServer.Status.DEACTIVATED)
    )
    if not servers:
        # None of them is an active server of this account (another account's, or
        # already deactivated): nothing to confirm.
        if not selectors.proxy_server_list(
            account=request.account, today=timezone.localdate(), ids=ids, viewer=request.membership
        ).exists():
            raise Http404(gettext("No such proxy server."))
        messages.info(request, gettext("The selected proxy servers are already deactivated."))
        return redirect(back)
    if request.method == "GET":
        return servers_confirmation(
            request,
            servers,
            back=back,
            action=reverse("proxy_deactivate"),
            title=ngettext(
                "Deactivate %(count)d proxy server?",
                "Deactivate %(count)d proxy servers?",
                len(servers),
            )
            % {"count": len(servers)},
            message=gettext(
                "Each installation learns it at its next refresh and then stops "
                "managing computers under its license key, which becomes free for another "
                "installation:"
            ),
            button=gettext("Deactivate"),
        )
    done = services.proxy_servers_deactivate(
        account=request.account, ids=[s.id for s in servers], actor=request.user
    )
    released = [s.server_name for s in done if s.status == ProxyServer.Status.DEACTIVATED]
    pending = [s.server_name for s in done if s.status == ProxyServer.Status.DEACTIVATING]
    if released:
        messages.success(
            request, gettext("Deactivated: %(servers)s.") % {"servers": ", ".join(released)}
        )
    if not done:
        messages.info(
            request, gettext("Nothing changed: those servers are already being deactivated.")
        )
    if pending:
        messages.warning(
            request,
            gettext(
                "Deactivation pending: %(servers)s. These servers were activated "
                "offline, so their license keys stay taken until each server's deactivation "
                "request file is uploaded on Offline Operations. They stop using the key at "
                "their next refresh."
            )
            % {"servers": ", ".join(pending)},
        )
    return redirect(back)


@business_account_required
@require_GET
def proxy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Queries, whatever the number of reports: session, user, memberships, the server
    # (with its key and subscription), its subscription's live keys with their usage
    # (over the limit), then the Usage tab's span, chart points and page of reports.
    server = selectors.proxy_server_get(account=request.account, pk=pk, viewer=request.membership)
    if server is None:
        raise Http404(gettext("No such proxy server."))
    # Over the limit as the list and the License Keys table say (the pool rule).
    selectors.proxy_servers_over_limit([server], today=timezone.localdate())
    tab = "usage" if request.GET.get("tab") == "usage" else "general"
    before = UsagePageForm(request.GET).before_date()
    return render(
        request,
        "proxies/proxy_detail.html",
        _detail_context(request, server, tab=tab, before=before, notes_form=None),
    )


def _detail_context(
    request: HttpRequest, server: ProxyServer, *, tab: str, before, notes_form
) -> dict:
    usage = selectors.usage_history(proxy_server=server, before=before)
    return {
        "server": server,
        "usage": usage,
        "chart": usage_chart(usage.points),
        "tab": tab,
        "notes_form": notes_form or NotesForm(initial={"notes": server.notes}),
        "can_manage": _is_admin(request),
        # A License Administrator deactivates their keys' servers (the only ones found).
        "can_deactivate": may_manage_keys(request),
        **_detail_links(request, server),
    }


def _detail_links(request: HttpRequest, server: ProxyServer) -> dict[str, str | None]:
    """Where the details lead back to.

    The list's server-name link passes ``next`` (the list with its filter, sort and
    page), so Cancel goes back there and Save and Deactivate come back there too,
    whether the details show in the list's dialog or, without JavaScript, as a page.
    Opened directly, the actions come back to the details, and Cancel goes to the list.
    """
    given = safe_next(request, "")
    return {
        "safe_next": given or None,  # the tab links keep it; None drops an unsafe one
        "back_url": given or reverse("proxy_list"),
        "return_url": given or reverse("proxy_detail", args=[server.pk]),
    }


@business_account_required
@account_admin_required
@require_POST
def proxy_notes(request: HttpRequest, pk: int) -> HttpResponse:
    server = selectors.proxy_server_get(account=request.account, pk=pk, viewer=request.membership)
    if server is None:
        raise Http404(gettext("No such proxy server."))
    form = NotesForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "proxies/proxy_detail.html",
            _detail_context(request, server, tab="general", before=None, notes_form=form),
            status=400,
        )
    services.proxy_server_notes_update(
        proxy_server=server, notes=form.cleaned_data["notes"], actor=request.user
    )
    messages.success(request, gettext("Your notes have been saved."))
    return redirect(_detail_links(request, server)["return_url"])
