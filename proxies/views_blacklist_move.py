"""Blacklist, unblacklist and move a proxy server: the pages of proxies.services'
proxy_servers_blacklist, proxy_server_unblacklist and proxy_server_move.

Kept apart from proxies/views.py (the list and the details) so that each action's
authorisation reads on its own. A server or key of another account is not found (404);
Regular Members are refused (403), as for every write; a License Administrator acts
on the servers of the keys they administer, and moves them only to such keys.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from accounts.permissions import business_account_required
from core.confirm import Confirmation, confirmation_page
from core.errors import form_error_add
from core.http import safe_next
from proxies import selectors, services
from proxies.errors import ProxyError
from proxies.forms import MoveForm, SelectionForm
from proxies.models import ProxyServer
from proxies.views import servers_confirmation
from subscriptions.models import license_key_manageable_q
from subscriptions.permissions import key_manager_required


def _server(request: HttpRequest, pk: int) -> ProxyServer:
    # A License Administrator finds only their keys' servers (license_key_visible_q).
    server = selectors.proxy_server_get(account=request.account, pk=pk, viewer=request.membership)
    if server is None:
        raise Http404(gettext("No such proxy server."))
    return server


@business_account_required
@key_manager_required
@require_http_methods(["GET", "POST"])
def proxy_blacklist(request: HttpRequest) -> HttpResponse:
    """GET: the confirmation naming the servers; POST: blacklist them."""
    selection = SelectionForm(request.POST if request.method == "POST" else request.GET)
    ids = selection.cleaned_data["id"] if selection.is_valid() else []
    back = safe_next(request, reverse("proxy_list"))
    if not ids:
        messages.error(request, gettext("Select one or more proxy servers first."))
        return redirect(back)
    found = list(
        selectors.proxy_server_list(
            account=request.account,
            today=timezone.localdate(),
            ids=ids,
            viewer=request.membership,
        )
    )
    if not found:
        raise Http404(gettext("No such proxy server."))
    servers = [s for s in found if not s.is_blacklisted]
    if not servers:
        messages.info(request, gettext("The selected proxy servers are already blacklisted."))
        return redirect(back)
    if request.method == "GET":
        return servers_confirmation(
            request,
            servers,
            back=back,
            action=reverse("proxy_blacklist"),
            title=ngettext(
                "Blacklist %(count)d proxy server?",
                "Blacklist %(count)d proxy servers?",
                len(servers),
            )
            % {"count": len(servers)},
            message=gettext(
                "Each installation is deactivated (its license key is released as on "
                "deactivation) and may not activate any license key of this account "
                "again, online or offline, until you lift the blacklisting:"
            ),
            button=gettext("Blacklist"),
        )
    done = services.proxy_servers_blacklist(
        account=request.account, ids=[s.pk for s in servers], actor=request.user
    )
    if done:
        messages.success(
            request,
            gettext("Blacklisted: %(servers)s.")
            % {"servers": ", ".join(s.server_name for s in done)},
        )
    else:
        messages.info(request, gettext("The selected proxy servers are already blacklisted."))
    return redirect(back)


@business_account_required
@key_manager_required
@require_http_methods(["GET", "POST"])
def proxy_unblacklist(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation; POST: lift the blacklisting."""
    server = _server(request, pk)
    back = safe_next(request, reverse("proxy_detail", args=[server.pk]))
    if request.method == "GET":
        return confirmation_page(
            request,
            Confirmation(
                title=gettext("Lift the blacklisting of %(server)s?")
                % {"server": server.server_name},
                message=gettext(
                    "The installation may then activate a license key of this account "
                    "again. It stays deactivated until it does."
                ),
                action=reverse("proxy_unblacklist", args=[server.pk]),
                button=gettext("Lift blacklisting"),
                cancel=back,
                fields=[("next", back)],
            ),
        )
    try:
        services.proxy_server_unblacklist(proxy_server=server, actor=request.user)
    except ProxyError as exc:
        messages.info(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        gettext("%(server)s may activate again.") % {"server": server.server_name},
    )
    return redirect(back)


@business_account_required
@key_manager_required
@require_http_methods(["GET", "POST"])
def proxy_move(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: choose the key; POST: move the server to it (or say why not)."""
    server = _server(request, pk)
    back = safe_next(request, reverse("proxy_detail", args=[server.pk]))
    targets = list(
        selectors.proxy_server_move_targets(proxy_server=server, today=timezone.localdate()).filter(
            license_key_manageable_q(request.membership)
        )
    )
    form = MoveForm(request.POST or None, targets=targets)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.proxy_server_move(
                    proxy_server=server, license_key=form.target(), actor=request.user
                )
            except ProxyError as exc:
                form_error_add(form, exc)
            else:
                messages.success(
                    request,
                    gettext(
                        "%(server)s now uses the license key %(key)s. An online server "
                        "learns it at its next refresh; a server activated offline, from "
                        "the subscription information file of its next refresh request."
                    )
                    % {"server": server.server_name, "key": form.target().display_name},
                )
                return redirect(back)
        status = 400
    return render(
        request,
        "proxies/proxy_move.html",
        {
            "server": server,
            "form": form,
            "has_targets": bool(targets),
            "back_url": back,
            "nav_page": "Proxy Servers",
        },
        status=status,
    )
