from __future__ import annotations

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy
from django_countries.fields import CountryField

from accounts.language import country_choices
from subscriptions import services
from subscriptions.errors import ERROR_MESSAGES, SubscriptionError
from subscriptions.models import LicenseKey, license_key_normalize
from subscriptions.quota import quota_limit_check
from subscriptions.selectors import ARRANGE_CHOICES, DISPLAY_CHOICES, LICENSE_KEY_SORTS

NEW_BUSINESS_ACCOUNT = "new"


class RegisterKeyForm(forms.Form):
    key = forms.CharField(
        label=gettext_lazy("License Key"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(
        self, *args, business_accounts=(), initial_account=None, member_accounts=(), **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.business_accounts = list(business_accounts)
        # An Account Administrator of one or more business accounts picks where the key
        # goes (only there may they register it); "a new business account" asks for
        # business details, as for a user with none.
        self.note = ""
        if member_accounts and not business_accounts:
            names = ", ".join(a.name for a in member_accounts)
            self.note = gettext(
                "You are not an Account Administrator of %(accounts)s, so you cannot register "
                "keys there: the key will go to a new business account, whose details you "
                "give next. To add it to an existing account, ask one of its Account "
                "Administrators to register it."
            ) % {"accounts": names}
        if business_accounts:
            choices = [(str(a.pk), a.name) for a in business_accounts]
            choices.append((NEW_BUSINESS_ACCOUNT, gettext("A new business account")))
            self.fields["account"] = forms.ChoiceField(
                label=gettext("Business Account"),
                choices=choices,
                initial=str(initial_account.pk)
                if initial_account in business_accounts
                else choices[0][0],
            )

    def clean_key(self) -> str:
        key = license_key_normalize(self.cleaned_data["key"])
        if key is None:
            raise forms.ValidationError(ERROR_MESSAGES["key_malformed"])
        return key

    def chosen_account(self):
        """The business account picked (one the user administers), or None for "a new
        business account" (or a user with none)."""
        choice = self.cleaned_data.get("account", NEW_BUSINESS_ACCOUNT)
        return next((a for a in self.business_accounts if str(a.pk) == choice), None)


class BusinessDetailsForm(forms.Form):
    """Provide your business details (the guide's dialog: all four are required)."""

    key = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField(label=gettext_lazy("Company Name"), max_length=200)
    country = CountryField(blank_label=gettext_lazy("Select a country")).formfield(
        label=gettext_lazy("Country")
    )
    zip_code = forms.CharField(label=gettext_lazy("ZIP / Postal Code"), max_length=20)
    phone = forms.CharField(
        label=gettext_lazy("Phone"), max_length=40, widget=forms.TextInput(attrs={"type": "tel"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].required = True
        # Named and sorted in the reader's language (accounts.language).
        self.fields["country"].choices = [
            ("", gettext("Select a country")),
            *country_choices(),
        ]
        self.fields["name"].widget.attrs["autocomplete"] = "organization"
        self.fields["zip_code"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"

    def clean_key(self) -> str:
        key = license_key_normalize(self.cleaned_data["key"])
        if key is None:
            raise forms.ValidationError(ERROR_MESSAGES["key_malformed"])
        return key

    def clean(self):
        cleaned = super().clean()
        for name in ("name", "zip_code", "phone"):
            if name in cleaned:
                cleaned[name] = cleaned[name].strip()
                if not cleaned[name]:
                    self.add_error(name, gettext("This field is required."))
        return cleaned


class SubscriptionFilterForm(forms.Form):
    """The list's Search, Display and Arrange by controls."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    display = forms.ChoiceField(
        label=gettext_lazy("Display"),
        choices=DISPLAY_CHOICES,
        required=False,
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )
    arrange = forms.ChoiceField(
        label=gettext_lazy("Arrange by"),
        choices=ARRANGE_CHOICES,
        required=False,
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )

    def __init__(self, *args, counts: dict[str, int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if counts is not None:
            self.fields["display"].choices = [
                (value, f"{label} ({counts.get(value, 0)})") for value, label in DISPLAY_CHOICES
            ]

    def values(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": data.get("q") or "",
            "display": data.get("display") or "active",
            "arrange": data.get("arrange") or "ends_on",
        }


class SubscriptionRenameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Display Name"), max_length=200, required=False)


class LicenseKeyRenameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, membership) -> str:
        user = membership.user
        name = user.get_full_name()
        return f"{name} ({user.email})" if name else user.email


class LicenseKeyAdministratorsForm(forms.Form):
    """Manage Users → Add: the members who become License Administrators of the key."""

    memberships = MemberChoiceField(
        label=gettext_lazy("Members"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose one or more members.")},
    )

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["memberships"].queryset = candidates


class SublicenseForm(forms.Form):
    """Create License Key / modify a sublicense: the guide's dialog."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    quota = forms.IntegerField(label=gettext_lazy("Quota of Licenses"), min_value=1)
    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[
            (LicenseKey.Type.RESERVED, LicenseKey.Type.RESERVED.label),
            (LicenseKey.Type.DYNAMIC, LicenseKey.Type.DYNAMIC.label),
        ],
        help_text=gettext_lazy(
            "Reserved holds its quota for this key alone. Dynamic takes licenses from "
            "the primary key's pool as it uses them, up to its quota."
        ),
    )
    renew_with_subscription = forms.BooleanField(
        label=gettext_lazy("Renew with Subscription"), required=False, initial=True
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expiration Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
    )

    def __init__(
        self, *args, available: int, ends_on, licenses: int | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        # "n" depends on the type: a Reserved key shares the reservable licenses, a
        # Dynamic key is capped by the subscription's licenses only (quota.quota_max).
        self.available = {
            LicenseKey.Type.RESERVED: available,
            LicenseKey.Type.DYNAMIC: licenses if licenses is not None else available,
        }
        self.ends_on = ends_on
        n = self.available.get(self._value("type"), available)
        quota = self.fields["quota"]
        # k is what is typed, but never more than n: the label must not say more is
        # available than there is ("50 out of 10"); the field's error says what is wrong.
        quota.label = gettext("Quota of Licenses (%(quota)d out of %(available)d available)") % {
            "quota": min(self._k(), n),
            "available": n,
        }
        # static/js/app.js keeps k, n and max in step with what is typed and picked.
        quota.widget.attrs.update(
            {
                "max": max(n, 1),
                "data-quota-reserved": self.available[LicenseKey.Type.RESERVED],
                "data-quota-dynamic": self.available[LicenseKey.Type.DYNAMIC],
            }
        )
        expires_on = self.fields["expires_on"]
        expires_on.widget.attrs["max"] = ends_on.isoformat()
        if self.initial.get("expires_on") is None:
            # The guide's dialog shows the subscription's end until another date is set.
            self.initial["expires_on"] = ends_on
        expires_on.help_text = gettext(
            "No later than the subscription's end, %(ends_on)s. "
            "Leave Renew with Subscription selected to end with the subscription."
        ) % {"ends_on": formats.date_format(ends_on, "SHORT_DATE_FORMAT")}
        self.fields["name"].widget.attrs["placeholder"] = gettext("License Key")

    def _value(self, name: str):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name, self.fields[name].initial)

    def _k(self) -> int:
        """The quota typed so far (the server's first rendering of the label)."""
        try:
            return max(int(self._value("quota")), 0)
        except (TypeError, ValueError):
            return 0

    def clean(self):
        cleaned = super().clean()
        # Every rule in one round, asked of the same functions the service uses (which
        # checks again, under the subscription's lock).
        quota_value, type_ = cleaned.get("quota"), cleaned.get("type")
        if quota_value is not None and type_ in self.available:
            code = quota_limit_check(type=type_, quota=quota_value, maximum=self.available[type_])
            if code is not None:
                error = SubscriptionError(
                    code,
                    available=self.available[type_],
                    licenses=self.available[LicenseKey.Type.DYNAMIC],
                )
                self.add_error("quota", error.message)
        renew = bool(cleaned.get("renew_with_subscription"))
        if renew:
            cleaned["expires_on"] = None
        if renew or "expires_on" in cleaned:
            error = services.sublicense_expiry_error(
                ends_on=self.ends_on,
                renew_with_subscription=renew,
                expires_on=cleaned.get("expires_on"),
                today=timezone.localdate(),
            )
            if error is not None:
                self.add_error("expires_on", error.message)
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "quota": data["quota"],
            "type": data["type"],
            "renew_with_subscription": data["renew_with_subscription"],
            "expires_on": data["expires_on"],
        }


class LicenseKeyFilterForm(forms.Form):
    """The License Keys table's search, Type filter and column sort. The list itself is
    proxies.selectors.license_key_list, as in the API."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[("", gettext_lazy("All")), *LicenseKey.Type.choices],
        required=False,
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )
    sort = forms.ChoiceField(
        choices=[(s, s) for s in LICENSE_KEY_SORTS], required=False, widget=forms.HiddenInput
    )

    def values(self) -> dict[str, str]:
        """The selector's arguments; anything invalid counts as not given."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": data.get("q") or "",
            "type": data.get("type") or "",
            "sort": data.get("sort") or "type",
        }
