"""Business Profile → Webhooks: endpoints, their secrets and their delivery log.

Only Account Administrators of the current account see these pages (403 for a
Regular Member, as the Audit Log); an endpoint of another account is a 404.
Authorise, parse, call one service, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import account_admin_required, business_account_required
from core.confirm import Confirmation, confirmation_page
from core.errors import form_error_add
from webhooks import selectors, services
from webhooks.errors import WebhookError
from webhooks.forms import EndpointForm, RedeliverForm
from webhooks.models import Delivery, Endpoint

DELIVERIES_PER_PAGE = 25


def _context(request: HttpRequest, **extra) -> dict:
    return {
        "account": request.account,
        "tab": "webhooks",
        **extra,
    }


def _endpoint(request: HttpRequest, endpoint_id: int) -> Endpoint:
    endpoint = selectors.endpoint_get(account=request.account, pk=endpoint_id)
    if endpoint is None:
        raise Http404(_("No such webhook endpoint in this account."))
    return endpoint


@business_account_required
@account_admin_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    endpoints = list(selectors.endpoint_list(account=request.account))
    # The Add endpoint dialog; its page (endpoint_new) is the no-JavaScript fallback.
    form = EndpointForm(initial={"enabled": True})
    return render(
        request,
        "webhooks/endpoint_list.html",
        _context(request, endpoints=endpoints, form=form),
    )


@never_cache
@business_account_required
@account_admin_required
def endpoint_new(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.endpoint_create(
                account=request.account, actor=request.user, **form.cleaned_data
            )
        except WebhookError as error:
            form_error_add(form, error)
        else:
            # The secret goes into this one response (never cached) and nowhere else.
            return render(
                request,
                "webhooks/endpoint_secret.html",
                _context(request, endpoint=new.endpoint, secret=new.secret, created=True),
            )
    return render(request, "webhooks/endpoint_new.html", _context(request, form=form))


def _detail(request: HttpRequest, endpoint: Endpoint, form=None, redeliver_form=None):
    status = request.GET.get("status", "")
    if status not in Delivery.Status.values:
        status = ""
    deliveries = selectors.delivery_list(endpoint=endpoint, status=status)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    form = form or EndpointForm(
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "enabled": endpoint.enabled,
        }
    )
    return render(
        request,
        "webhooks/endpoint_detail.html",
        _context(
            request,
            endpoint=endpoint,
            form=form,
            redeliver_form=redeliver_form or RedeliverForm(),
            page=page,
            status=status,
            statuses=Delivery.Status.choices,
        ),
    )


@business_account_required
@account_admin_required
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    return _detail(request, _endpoint(request, endpoint_id))


@business_account_required
@account_admin_required
@require_POST
def endpoint_edit(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except WebhookError as error:
            form_error_add(form, error)
        else:
            messages.success(request, _("The endpoint has been saved."))
            return redirect("webhook_endpoint", endpoint.pk)
    return _detail(request, endpoint, form=form)


@never_cache
@business_account_required
@account_admin_required
@require_POST
def endpoint_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    try:
        new = services.endpoint_secret_rotate(endpoint=endpoint, actor=request.user)
    except WebhookError as error:
        messages.error(request, error.message)
        return redirect("webhook_endpoint", endpoint.pk)
    return render(
        request,
        "webhooks/endpoint_secret.html",
        _context(request, endpoint=new.endpoint, secret=new.secret, created=False),
    )


def _action(service, done: str):
    @business_account_required
    @account_admin_required
    @require_POST
    def view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
        endpoint = _endpoint(request, endpoint_id)
        try:
            service(endpoint=endpoint, actor=request.user)
        except WebhookError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done.format(url=endpoint.url))
        return redirect("webhook_endpoint", endpoint.pk)

    return view


endpoint_test = _action(
    services.endpoint_test_send,
    gettext_lazy("A test event is on its way to {url}; see the log below."),
)


@business_account_required
@account_admin_required
@require_http_methods(["GET", "POST"])
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """GET: the one confirmation (what goes with it); POST: delete."""
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "GET":
        return confirmation_page(
            request,
            Confirmation(
                title=_("Delete the endpoint %(url)s?") % {"url": endpoint.url},
                message=_(
                    "Its delivery log is deleted with it, and events are no longer sent to it."
                ),
                action=reverse("webhook_endpoint_delete", args=[endpoint.pk]),
                button=_("Delete endpoint"),
                cancel=reverse("webhook_endpoint", args=[endpoint.pk]),
            ),
        )
    try:
        services.endpoint_delete(endpoint=endpoint, actor=request.user)
    except WebhookError as error:
        messages.error(request, error.message)
        return redirect("webhook_endpoint", endpoint.pk)
    messages.success(request, _("The endpoint %(url)s has been deleted.") % {"url": endpoint.url})
    return redirect("webhook_endpoints")


@business_account_required
@account_admin_required
@require_POST
def endpoint_redeliver_failed(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    form = RedeliverForm(request.POST)
    if not form.is_valid():
        return _detail(request, endpoint, redeliver_form=form)
    try:
        count = services.deliveries_redeliver(
            endpoint=endpoint, actor=request.user, since=form.cleaned_data["since"]
        )
    except WebhookError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s failed event(s) will be sent again.",
                "%(count)s failed event(s) will be sent again.",
                count,
            )
            % {"count": count},
        )
    return redirect("webhook_endpoint", endpoint.pk)


def _delivery(request: HttpRequest, endpoint: Endpoint, delivery_id: int) -> Delivery:
    delivery = selectors.delivery_get(endpoint=endpoint, pk=delivery_id)
    if delivery is None:
        raise Http404(_("No such delivery of this endpoint."))
    return delivery


@business_account_required
@account_admin_required
def delivery_detail(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    delivery = _delivery(request, endpoint, delivery_id)
    return render(
        request,
        "webhooks/delivery_detail.html",
        _context(request, endpoint=endpoint, delivery=delivery),
    )


@business_account_required
@account_admin_required
@require_POST
def delivery_redeliver(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    delivery = _delivery(request, endpoint, delivery_id)
    try:
        services.deliveries_redeliver(endpoint=endpoint, actor=request.user, delivery=delivery)
    except WebhookError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The event %(id)s will be sent again.") % {"id": delivery.event.public_id},
        )
    return redirect("webhook_delivery", endpoint.pk, delivery.pk)
