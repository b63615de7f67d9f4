"""Business Profile → Single Sign-On: the configurator (Account Administrators only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.permissions import account_admin_required, business_account_required
from core.errors import form_error_add
from sso import selectors, services
from sso.errors import SsoError
from sso.forms import DomainForm


def _member_count(request: HttpRequest) -> int:
    return Membership.objects.filter(account=request.account).count()


def _page(request: HttpRequest, *, domain_form: DomainForm | None = None) -> HttpResponse:
    account = request.account
    config = selectors.sso_config_get(account)
    domains = selectors.sso_domain_list(account=account)
    return render(
        request,
        "sso/settings.html",
        {
            "account": account,
            "config": config,
            "domains": domains,
            "steps": selectors.sso_steps(config=config, domains=domains),
            "domain_form": domain_form or DomainForm(),
            "member_count": _member_count(request),
            "tab": "sso",
        },
    )


def _refused(error: SsoError) -> None:
    if error.status == 404:
        raise Http404(error.message)


@business_account_required
@account_admin_required
def sso_settings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@business_account_required
@account_admin_required
@require_POST
def sso_domain_add(request: HttpRequest) -> HttpResponse:
    form = DomainForm(request.POST)
    if form.is_valid():
        try:
            domain = services.sso_domain_add(
                account=request.account, actor=request.user, domain=form.cleaned_data["domain"]
            )
        except SsoError as error:
            form_error_add(form, error)
        else:
            messages.success(
                request,
                gettext("%(domain)s was added. Publish its TXT record, then verify it.")
                % {"domain": domain.domain},
            )
            return redirect("sso_settings")
    return _page(request, domain_form=form)


@business_account_required
@account_admin_required
@require_POST
def sso_domain_verify(request: HttpRequest, domain_id: int) -> HttpResponse:
    try:
        domain = services.sso_domain_verify(
            account=request.account, actor=request.user, domain_id=domain_id
        )
    except SsoError as error:
        _refused(error)
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("%(domain)s is verified.") % {"domain": domain.domain})
    return redirect("sso_settings")


@business_account_required
@account_admin_required
@require_POST
def sso_domain_remove(request: HttpRequest, domain_id: int) -> HttpResponse:
    try:
        services.sso_domain_remove(account=request.account, actor=request.user, domain_id=domain_id)
    except SsoError as error:
        _refused(error)
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The domain was removed."))
    return redirect("sso_settings")
