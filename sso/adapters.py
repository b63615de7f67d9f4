"""allauth's social account adapter, taught single sign-on: a sign-in through a
business account's own OpenID Connect or SAML app (provider_id "sso-<account>") is accepted
only for an address of a domain that account verified; the person is created just in
time, or an existing user with that address is linked, and joins the account with the
role the IdP's group gives."""

from __future__ import annotations

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialLogin
from django.http import HttpRequest
from django.shortcuts import render

from accounts.adapters import AccountAdapter, SocialAccountAdapter
from accounts.current import SESSION_KEY as CURRENT_ACCOUNT
from accounts.models import User
from sso.emails import sso_required_email
from sso.errors import SsoError
from sso.models import SsoConfig
from sso.saml import SAML_PROVIDER, saml_claims
from sso.selectors import sso_password_reset_allowed
from sso.services import (
    sso_claims_email,
    sso_membership_sync,
    sso_sign_in_allowed,
    sso_sign_in_check,
)


def _claims(sociallogin: SocialLogin) -> dict:
    if sociallogin.provider.id == SAML_PROVIDER:
        return saml_claims(sociallogin)
    data = sociallogin.account.extra_data or {}
    # allauth keeps the ID token's and the userinfo's claims; userinfo wins where both say.
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def _sso_config(sociallogin: SocialLogin) -> SsoConfig | None:
    app = getattr(sociallogin.provider, "app", None)
    if app is None or app.pk is None or not (app.provider_id or "").startswith("sso-"):
        return None
    return SsoConfig.objects.filter(social_app=app).select_related("account").first()


def _refuse(request: HttpRequest, error: SsoError) -> ImmediateHttpResponse:
    return ImmediateHttpResponse(
        render(request, "sso/refused.html", {"message": error.message}, status=403)
    )


class SsoSocialAccountAdapter(SocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        config = _sso_config(sociallogin)
        if config is None:
            return super().pre_social_login(request, sociallogin)
        claims = _claims(sociallogin)
        try:
            sso_sign_in_check(config=config, claims=claims)
        except SsoError as error:
            raise _refuse(request, error) from None
        email = sso_claims_email(claims)
        # The domain is this account's and the IdP asserted the address: it is verified.
        for address in sociallogin.email_addresses:
            if address.email.lower() == email:
                address.verified = True
        if not sociallogin.is_existing:
            user = User.objects.filter(email__iexact=email).first()
            if user is not None:
                # An existing person with this address: linked, now that the IdP asserted
                # it and the domain is verified (never before).
                sociallogin.connect(request, user)
        if sociallogin.is_existing:
            self._sync(request, config, sociallogin.user, claims)

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        config = _sso_config(sociallogin)
        if config is not None:
            self._sync(request, config, user, _claims(sociallogin))
        return user

    def _sync(self, request: HttpRequest, config: SsoConfig, user: User, claims: dict) -> None:
        try:
            membership = sso_membership_sync(config=config, user=user, claims=claims)
        except SsoError as error:
            raise _refuse(request, error) from None
        # Land in the business account they signed in for.
        request.session[CURRENT_ACCOUNT] = membership.account_id

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """A SAML response of an SSO app that python3-saml refused (altered, unsigned,
        expired, for another audience, unsolicited): the SSO refusal page, not allauth's."""
        app = getattr(provider, "app", None)
        if provider.id == SAML_PROVIDER and (getattr(app, "provider_id", "") or "").startswith(
            "sso-"
        ):
            raise _refuse(request, SsoError("saml_response_refused"))
        return super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        if _sso_config(sociallogin) is not None:
            return True  # the IdP vouches for the person; no sign-up form
        return super().is_auto_signup_allowed(request, sociallogin)


class SsoAccountAdapter(AccountAdapter):
    """Enforcement ("Require SSO"): every sign-in passes pre_login, password or social;
    only the account's own SSO app (or the break-glass administrator's password) admits
    a person whose domain requires SSO. A password reset becomes an e-mail that says so."""

    def pre_login(self, request, user, **kwargs):
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        provider_id = sociallogin.account.provider if sociallogin is not None else None
        if not sso_sign_in_allowed(user=user, app_provider_id=provider_id):
            return render(
                request,
                "sso/refused.html",
                {"message": SsoError("sso_required").message},
                status=403,
            )
        return super().pre_login(request, user, **kwargs)

    def send_password_reset_mail(self, user, email, context) -> None:
        if not sso_password_reset_allowed(user):
            sso_required_email(user=user)
            return
        super().send_password_reset_mail(user, email, context)
