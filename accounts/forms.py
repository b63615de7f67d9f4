from __future__ import annotations

import re

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.core.validators import validate_email
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from accounts.audit import audit_action_choices
from accounts.language import (
    country_choices,
    language_choices,
    time_zone_canonical,
    time_zone_choices,
)
from accounts.models import Account, Membership, User
from accounts.selectors import MEMBER_SORTS


def _terms_label() -> str:
    # One sentence with its link, so that translators can put the link where it belongs.
    return format_html(
        gettext('I agree with <a href="{url}" target="_blank" rel="noopener">the Terms of Use</a>'),
        url=reverse_lazy("terms"),
    )


def terms_field(required_message: str) -> forms.BooleanField:
    """The "I agree with the Terms of Use" box: the same on Sign Up and on Join."""
    return forms.BooleanField(
        label=lazy(_terms_label, str)(),
        error_messages={"required": required_message},
    )


class SignupForm(AllauthSignupForm):
    """Register Your Account: the guide's fields, in the guide's order."""

    first_name = forms.CharField(label=gettext_lazy("First Name"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Last Name"), max_length=150)
    keep_signed_in = forms.BooleanField(label=gettext_lazy("Keep me signed in"), required=False)
    terms = terms_field(gettext_lazy("Please agree with the Terms of Use to sign up."))

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
        self.fields["email"].label = gettext("Email")
        self.fields["password1"].label = gettext("Password")
        if "password2" in self.fields:
            self.fields["password2"].label = gettext("Repeat Password")
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
            raise forms.ValidationError(gettext("This field is required."))
        return value

    def save(self, request):
        # "Keep me signed in" is applied by the adapter once allauth logs the user in.
        request.session["signup_keep_signed_in"] = bool(self.cleaned_data.get("keep_signed_in"))
        return super().save(request)


class LoginForm(AllauthLoginForm):
    """Sign in with the guide's words: "Keep me signed in" decides whether the session
    outlives the browser."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = gettext("Email")
        if "remember" in self.fields:
            self.fields["remember"].label = gettext("Keep me signed in")
        # The page offers "Forgot your password?" once, beside Sign In; allauth would
        # repeat it as the password's help text.
        self.fields["password"].help_text = ""


def _time_zone_choices() -> list:
    return [("", gettext("UTC (the portal's time zone)")), *time_zone_choices()]


class PersonalProfileForm(forms.ModelForm):
    """Name, and the language and time zone the portal and its e-mails use for you."""

    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=lazy(
            lambda: [("", gettext("Your browser's language")), *language_choices()], list
        )(),
        help_text=gettext_lazy("Used on every device you sign in on, and for your e-mails."),
    )
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        required=False,
        choices=_time_zone_choices,
        help_text=gettext_lazy("Dates and times are shown in this time zone."),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "language", "time_zone"]
        labels = {"first_name": gettext_lazy("First Name"), "last_name": gettext_lazy("Last Name")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A zone saved under an old alias ("Asia/Calcutta") shows as the one it stands for.
        saved = self.initial.get("time_zone")
        if saved:
            self.initial["time_zone"] = time_zone_canonical(saved)

    def clean(self):
        cleaned = super().clean()
        for name in ("first_name", "last_name"):
            value = (cleaned.get(name) or "").strip()
            if name in cleaned and not value:
                self.add_error(name, gettext("This field is required."))
            cleaned[name] = value
        return cleaned


# --- Business accounts and their people ----------------------------------------------


class BusinessProfileForm(forms.ModelForm):
    """Edit Company Information: the guide marks Company Name, Country, State, ZIP, Phone."""

    class Meta:
        model = Account
        fields = ["name", "street", "city", "country", "state", "zip_code", "phone"]
        labels = {
            "name": gettext_lazy("Company Name"),
            "street": gettext_lazy("Street"),
            "city": gettext_lazy("City"),
            "country": gettext_lazy("Country"),
            "state": gettext_lazy("State"),
            "zip_code": gettext_lazy("ZIP"),
            "phone": gettext_lazy("Phone"),
        }
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    required = ("name", "country", "state", "zip_code", "phone")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "---------"), *country_choices()]
        for name in self.required:
            self.fields[name].required = True
        self.fields["name"].widget.attrs["autocomplete"] = "organization"
        self.fields["street"].widget.attrs["autocomplete"] = "street-address"
        self.fields["zip_code"].widget.attrs["autocomplete"] = "postal-code"

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            value = cleaned.get(name)
            if isinstance(value, str):
                cleaned[name] = value.strip()
                if name in self.required and name in cleaned and not cleaned[name]:
                    self.add_error(name, gettext("This field is required."))
        phone = cleaned.get("phone") or ""
        if phone and not re.fullmatch(r"[0-9+()\-./ ]{5,40}", phone):
            self.add_error("phone", gettext("Enter a phone number: digits, spaces and + ( ) - . /"))
        return cleaned


_EMAIL_SPLIT = re.compile(r"[\s,;]+")


class InviteForm(forms.Form):
    """Invite Users: add addresses one at a time, or paste a list; review; send."""

    email = forms.CharField(
        label=gettext_lazy("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@company.com"}),
    )
    emails = forms.CharField(
        label=gettext_lazy("Email addresses to invite"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One per line; you can paste a list separated by commas or spaces."),
    )

    def addresses(self) -> tuple[list[str], list[str]]:
        """(valid, invalid) addresses from the list and the single field, in order, once."""
        raw = f"{self.cleaned_data.get('emails', '')}\n{self.cleaned_data.get('email', '')}"
        valid: list[str] = []
        invalid: list[str] = []
        for item in _EMAIL_SPLIT.split(raw):
            item = item.strip().strip("<>").lower()
            if not item or item in valid or item in invalid:
                continue
            try:
                validate_email(item)
            except forms.ValidationError:
                invalid.append(item)
            else:
                valid.append(item)
        return valid, invalid


class MembershipForm(forms.Form):
    """The membership dialog: Notes, Role; Block, Delete beside it.

    `own` and `last_admin` say which controls the services would refuse, so the page
    shows them disabled with the reason. A posted form is never locked: what comes
    in goes to the service, which decides (under a lock) and explains a refusal.
    """

    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[
            (Membership.Role.MEMBER, Membership.Role.MEMBER.label),
            (Membership.Role.ADMIN, Membership.Role.ADMIN.label),
        ],
    )

    def __init__(self, *args, own: bool = False, last_admin: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.own = own
        self.last_admin = last_admin
        if last_admin and not self.is_bound:
            self.fields["role"].disabled = True
            # The reason sits beside the controls (accounts/_membership_form.html).
            self.fields["role"].widget.attrs["aria-describedby"] = f"{self.prefix}-refusal"


class JoinForm(forms.Form):
    """Join <Company>: Email (read-only), Name, Password; a new person also agrees
    with the Terms of Use, as on Sign Up (people with an account agreed then)."""

    email = forms.EmailField(label=gettext_lazy("Email"), disabled=True, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=300, required=False)
    password = forms.CharField(
        label=gettext_lazy("Password"), strip=False, required=False, widget=forms.PasswordInput()
    )

    def __init__(self, *args, existing: bool, signed_in: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        if existing:
            # People with an account keep their name; they prove who they are.
            self.fields["name"].disabled = True
            self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        else:
            self.fields["name"].required = True
            self.fields["password"].widget.attrs["autocomplete"] = "new-password"
            self.fields["password"].help_text = gettext("Choose a password for your new account.")
            self.fields["terms"] = terms_field(
                gettext("Please agree with the Terms of Use to join.")
            )
        self.fields["password"].required = not signed_in
        if signed_in:
            del self.fields["password"]


class UserFilterForm(forms.Form):
    """The Business Account Users list's input: search, Role and Status filters, sorting.
    The list itself is accounts.selectors.membership_list, as in the API."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        required=False,
        choices=[("", gettext_lazy("All")), *Membership.Role.choices],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *Membership.Status.choices],
    )
    sort = forms.ChoiceField(
        required=False, choices=[(k, k) for k in MEMBER_SORTS], widget=forms.HiddenInput
    )

    def values(self) -> dict[str, str]:
        """The selector's arguments; anything invalid counts as not given."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": data.get("q") or "",
            "role": data.get("role") or "",
            "status": data.get("status") or "",
            "sort": data.get("sort") or "name",
        }


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    person = forms.CharField(label=gettext_lazy("Person"), required=False, max_length=200)
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actions: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [
            ("", gettext("All actions")),
            *audit_action_choices(actions),
        ]

    def values(self) -> dict:
        """The selector's arguments (accounts.selectors.audit_log_list)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "action": data.get("action") or "",
            "person": data.get("person") or "",
            "since": data.get("date_from"),
            "until": data.get("date_to"),
        }


class FeedbackForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Your feedback"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What works, what does not, what you miss. We read every message."),
    )


class UsersBulkForm(forms.Form):
    """The Users list's Actions menu: one action on the ticked members (or, for Resend
    invitation, the ticked pending invitations)."""

    ACTIONS = {
        "block": gettext_lazy("Block"),
        "unblock": gettext_lazy("Unblock"),
        "delete": gettext_lazy("Delete"),
        "resend": gettext_lazy("Resend invitation"),
    }
    action = forms.ChoiceField(choices=list(ACTIONS.items()))
    id = forms.TypedMultipleChoiceField(coerce=int, required=False)
    invitation = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any whole number passes here; the view keeps those of the current account.
        for name in ("id", "invitation"):
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            self.fields[name].choices = [(v, v) for v in values if str(v).isdigit()]
