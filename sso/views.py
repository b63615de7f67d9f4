"""Business Profile → Single Sign-On: the configurator (Account Administrators only)."""

from __future__ import annotations

from allauth.socialaccount.providers.saml import views as allauth_saml
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership
from accounts.permissions import account_admin_required, business_account_required
from core.errors import form_error_add
from core.http import safe_next
from sso import saml, selectors, services
from sso.errors import SsoError
from sso.forms import (
    DomainForm,
    EnforcementForm,
    IdpForm,
    RolesForm,
    SamlIdpForm,
    SsoStartForm,
)


def _member_count(request: HttpRequest) -> int:
    return Membership.objects.filter(account=request.account).count()


def _page(
    request: HttpRequest,
    *,
    domain_form: DomainForm | None = None,
    idp_form: IdpForm | None = None,
    saml_form: SamlIdpForm | None = None,
    roles_form: RolesForm | None = None,
    enforcement_form: EnforcementForm | None = None,
    scim_token: str = "",
) -> HttpResponse:
    account = request.account
    config = selectors.sso_config_get(account)
    domains = selectors.sso_domain_list(account=account)
    app = config.social_app
    provider_id = services.sso_provider_id(account)
    is_saml = app is not None and app.provider == saml.SAML_PROVIDER
    oidc = app if app is not None and not is_saml else None
    return render(
        request,
        "sso/settings.html",
        {
            "account": account,
            "config": config,
            "domains": domains,
            "steps": selectors.sso_steps(config=config, domains=domains),
            # The step whose form was just refused stays open, done or not.
            "refused_step": (
                "domains"
                if domain_form
                else "idp"
                if idp_form or saml_form
                else "roles"
                if roles_form
                else "enforce"
                if enforcement_form
                else ""
            ),
            "domain_form": domain_form or DomainForm(),
            "idp_form": idp_form
            or IdpForm(
                initial={"issuer": oidc.settings.get("server_url"), "client_id": oidc.client_id}
                if oidc
                else None
            ),
            "saml_form": saml_form
            or SamlIdpForm(
                initial={"metadata_url": app.settings.get("metadata_url")} if is_saml else None
            ),
            # The protocol whose form opens: the one connected, or the one just refused.
            "protocol": "saml"
            if saml_form is not None or (is_saml and idp_form is None)
            else "oidc",
            "saml_connected": is_saml,
            "saml_idp_entity_id": app.settings.get("idp", {}).get("entity_id") if is_saml else "",
            # What the administrator gives a SAML IdP: the portal's entity id and ACS URL,
            # or its metadata (allauth serves it once the app exists).
            "saml_entity_id": saml.saml_entity_id(account),
            "saml_acs_url": saml.saml_acs_url(account),
            "saml_metadata_url": saml.saml_metadata_url(account),
            "roles_form": roles_form
            or RolesForm(
                initial={"admin_claim": config.admin_claim, "admin_group": config.admin_group}
            ),
            "enforcement_form": enforcement_form
            or EnforcementForm(
                account=account,
                initial={"require_sso": config.require_sso, "break_glass": config.break_glass_id},
            ),
            "scim_token": scim_token,
            "scim_base": settings.SITE_URL + reverse("scim_users").rsplit("/", 1)[0],
            # What the administrator registers at the IdP as the redirect (callback) URI.
            "redirect_uri": settings.SITE_URL
            + reverse("openid_connect_callback", kwargs={"provider_id": provider_id}),
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


def _idp_save(request: HttpRequest, form: IdpForm | SamlIdpForm, save) -> HttpResponse:
    """Step 2 with either protocol: the form, its service, the page again when refused."""
    if form.is_valid():
        try:
            save(account=request.account, actor=request.user, **form.cleaned_data)
        except SsoError as error:
            form_error_add(form, error)
        else:
            messages.success(request, gettext("The identity provider is connected."))
            return redirect("sso_settings")
    key = "saml_form" if isinstance(form, SamlIdpForm) else "idp_form"
    return _page(request, **{key: form})


@business_account_required
@account_admin_required
@require_POST
def sso_idp_save(request: HttpRequest) -> HttpResponse:
    return _idp_save(request, IdpForm(request.POST), services.sso_idp_save)


@business_account_required
@account_admin_required
@require_POST
def sso_saml_idp_save(request: HttpRequest) -> HttpResponse:
    return _idp_save(request, SamlIdpForm(request.POST), saml.sso_saml_idp_save)


@business_account_required
@account_admin_required
@require_POST
def sso_roles_save(request: HttpRequest) -> HttpResponse:
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            services.sso_roles_save(
                account=request.account, actor=request.user, **form.cleaned_data
            )
        except SsoError as error:
            form_error_add(form, error)
        else:
            messages.success(request, gettext("The roles are saved."))
            return redirect("sso_settings")
    return _page(request, roles_form=form)


@business_account_required
@account_admin_required
@require_POST
def sso_enforcement_save(request: HttpRequest) -> HttpResponse:
    form = EnforcementForm(request.POST, account=request.account)
    if form.is_valid():
        try:
            config = services.sso_enforcement_save(
                account=request.account, actor=request.user, **form.cleaned_data
            )
        except SsoError as error:
            form_error_add(form, error)
        else:
            messages.success(
                request,
                gettext("Single sign-on is now required.")
                if config.require_sso
                else gettext("Single sign-on is not required."),
            )
            return redirect("sso_settings")
    return _page(request, enforcement_form=form)


@business_account_required
@account_admin_required
@require_POST
def sso_scim_token_rotate(request: HttpRequest) -> HttpResponse:
    """Create or replace the SCIM token and show it this once (never stored in clear)."""
    try:
        token = services.sso_scim_token_rotate(account=request.account, actor=request.user)
    except SsoError as error:
        messages.error(request, error.message)
        return redirect("sso_settings")
    response = _page(request, scim_token=token)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def sso_start(request: HttpRequest) -> HttpResponse:
    """Continue with SSO: the work e-mail names the business account whose verified domain
    it is, and the person goes on to that account's identity provider (allauth's OpenID
    Connect flow, started here as its own login view would: a POST, with CSRF)."""
    form = SsoStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app = selectors.sso_app_for_email(form.cleaned_data["email"])
        except SsoError as error:
            form_error_add(form, error)
        else:
            provider = app.get_provider(request)
            return provider.redirect(
                request,
                "login",
                next_url=safe_next(request, "") or None,
                auth_params={"login_hint": form.cleaned_data["email"]},
            )
    return render(request, "sso/start.html", {"form": form})


def sso_saml_finish(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's end of a SAML sign-in (its finish_acs view), with the SSO refusal page
    for a response that answers no sign-in started in this browser: replayed, or sent
    unasked (allauth refuses both with PermissionDenied)."""
    try:
        return allauth_saml.finish_acs(request, organization_slug=organization_slug)
    except PermissionDenied:
        return render(
            request,
            "sso/refused.html",
            {"message": SsoError("saml_response_refused").message},
            status=403,
        )
