from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html

from accounts.models import User


def _terms_label() -> str:
    return format_html(
        'I agree with <a href="{}" target="_blank" rel="noopener">the Terms of Use</a>',
        reverse_lazy("terms"),
    )


class SignupForm(AllauthSignupForm):
    """Register Your Account: the guide's fields, in the guide's order."""

    first_name = forms.CharField(label="First Name", max_length=150)
    last_name = forms.CharField(label="Last Name", max_length=150)
    keep_signed_in = forms.BooleanField(label="Keep me signed in", required=False)
    terms = forms.BooleanField(
        label=lazy(_terms_label, str)(),
        error_messages={"required": "Please agree with the Terms of Use to sign up."},
    )

    field_order = [
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
        "keep_signed_in",
        "terms",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email"
        self.fields["password1"].label = "Password"
        if "password2" in self.fields:
            self.fields["password2"].label = "Repeat Password"
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = (
                "given-name" if name == "first_name" else "family-name"
            )

    def clean_first_name(self) -> str:
        return self._required_text("first_name")

    def clean_last_name(self) -> str:
        return self._required_text("last_name")

    def _required_text(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            raise forms.ValidationError("This field is required.")
        return value

    def save(self, request):
        # "Keep me signed in" is applied by the adapter once allauth logs the user in.
        request.session["signup_keep_signed_in"] = bool(self.cleaned_data.get("keep_signed_in"))
        return super().save(request)


class PersonalProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name"]
        labels = {"first_name": "First Name", "last_name": "Last Name"}

    def clean(self):
        cleaned = super().clean()
        for name in ("first_name", "last_name"):
            value = (cleaned.get(name) or "").strip()
            if name in cleaned and not value:
                self.add_error(name, "This field is required.")
            cleaned[name] = value
        return cleaned
