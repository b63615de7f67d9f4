"""Input of the Single Sign-On page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from accounts.forms import SignupForm
from accounts.models import Account, Membership, User
from sso.errors import SsoError
from sso.selectors import sso_enforcement_for


class DomainForm(forms.Form):
    domain = forms.CharField(
        label=gettext_lazy("Domain"),
        max_length=253,
        help_text=gettext_lazy("The part of your people's e-mail addresses after the @."),
        widget=forms.TextInput(attrs={"placeholder": "example.com", "autocomplete": "off"}),
    )


class IdpForm(forms.Form):
    issuer = forms.CharField(
        label=gettext_lazy("Issuer URL"),
        max_length=500,
        help_text=gettext_lazy(
            "The address of your identity provider's OpenID Connect configuration, without "
            "/.well-known/openid-configuration."
        ),
        widget=forms.URLInput(attrs={"placeholder": "https://login.example.com/realms/acme"}),
    )
    client_id = forms.CharField(label=gettext_lazy("Client ID"), max_length=191)
    client_secret = forms.CharField(
        label=gettext_lazy("Client secret"),
        max_length=191,
        required=False,
        help_text=gettext_lazy("Leave it blank to keep the secret you saved before."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class SamlIdpForm(forms.Form):
    metadata_url = forms.CharField(
        label=gettext_lazy("Metadata URL"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("The address of your identity provider's SAML 2.0 metadata."),
        widget=forms.URLInput(attrs={"placeholder": "https://login.example.com/saml/metadata"}),
    )
    metadata_xml = forms.CharField(
        label=gettext_lazy("Metadata XML"),
        max_length=200_000,
        required=False,
        strip=True,
        help_text=gettext_lazy("Or paste the metadata document itself."),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )


class RolesForm(forms.Form):
    admin_claim = forms.CharField(
        label=gettext_lazy("Group claim or attribute"),
        max_length=100,
        initial="groups",
        help_text=gettext_lazy(
            "The claim of the ID token (OpenID Connect) or the attribute of the assertion "
            "(SAML 2.0) that lists the groups."
        ),
    )
    admin_group = forms.CharField(
        label=gettext_lazy("Administrators' group"),
        max_length=200,
        help_text=gettext_lazy(
            "Its members sign in as Account Administrators; everyone else as Regular Members."
        ),
        widget=forms.TextInput(attrs={"placeholder": "Parallels Business Account Admins"}),
    )


class SsoStartForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Work e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class EnforcementForm(forms.Form):
    require_sso = forms.BooleanField(
        label=gettext_lazy("Require SSO"),
        required=False,
        help_text=gettext_lazy(
            "People with addresses at your verified domains then sign in with single sign-on "
            "only: no password, no social account, no password reset."
        ),
    )
    break_glass = forms.ModelChoiceField(
        label=gettext_lazy("Break-glass administrator"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Nobody"),
        help_text=gettext_lazy(
            "One Account Administrator who may still sign in with a password, for when the "
            "identity provider fails. Each such sign-in is recorded in the Audit Log."
        ),
    )

    def __init__(self, *args, account: Account, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["break_glass"].queryset = User.objects.filter(
            memberships__account=account,
            memberships__role=Membership.Role.ADMIN,
            memberships__status=Membership.Status.ACTIVE,
        ).order_by("email")


class SsoSignupForm(SignupForm):
    """Register Your Account, refused for an address of a domain whose business account
    requires single sign-on: those people come in through their IdP (Continue with SSO,
    on the same page), which creates them just in time."""

    def clean_email(self) -> str:
        email = super().clean_email()
        if email and sso_enforcement_for(email) is not None:
            raise forms.ValidationError(SsoError("sso_required").message)
        return email
