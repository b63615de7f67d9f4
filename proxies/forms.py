from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from proxies.selectors import COLUMNS, DEFAULT_SORT, Display
from proxies.services import NOTES_MAX_LENGTH
from subscriptions.models import license_key_mask


def _descending(label: str) -> str:
    return gettext("%(column)s (descending)") % {"column": label}


# The sorts the list accepts; translated when shown, in the language of the moment.

SORT_CHOICES = [(c.key, c.label) for c in COLUMNS] + [
    (f"-{c.key}", lazy(_descending, str)(c.label)) for c in COLUMNS
]
# A page posts at most this many ticked rows; more is not a person clicking.
MAX_SELECTED = 1000


class ProxyListFilterForm(forms.Form):
    """The Display drop-down, the search box and the sort of the Proxy Servers page."""

    display = forms.ChoiceField(
        choices=Display.CHOICES, required=False, label=gettext_lazy("Display")
    )
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Search"))
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def values(self) -> dict[str, str]:
        """Valid values, with defaults for whatever is missing or wrong."""
        # cleaned_data keeps the valid fields even when another one is not.
        self.is_valid()
        data = self.cleaned_data
        return {
            "display": data.get("display") or Display.ALL,
            "q": (data.get("q") or "").strip(),
            "sort": data.get("sort") or DEFAULT_SORT,
        }


class IdsField(forms.Field):
    """The ticked rows: a list of positive integers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        ids: list[int] = []
        for item in value:
            try:
                number = int(item)
            except (TypeError, ValueError):
                raise forms.ValidationError(gettext("Select servers from the list.")) from None
            if number > 0 and number not in ids:
                ids.append(number)
        if len(ids) > MAX_SELECTED:
            raise forms.ValidationError(
                gettext("Select at most %(count)d servers at a time.") % {"count": MAX_SELECTED}
            )
        return ids


class SelectionForm(forms.Form):
    id = IdsField(required=False)


class ColumnsForm(forms.Form):
    columns = forms.MultipleChoiceField(
        choices=[(c.key, c.label) for c in COLUMNS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Columns"),
    )


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Your notes"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class UsagePageForm(forms.Form):
    """Which page of the Usage tab's reports: those before a date (newest first)."""

    before = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def before_date(self):
        """The date, or None (the newest page) when missing or not a date."""
        self.is_valid()
        return self.cleaned_data.get("before")


class MoveForm(forms.Form):
    """The license key a server moves to: one of the keys offered (the account's keys
    of the same product that hold no installation); whether it has room is the move's
    own rule, which says why not."""

    license_key = forms.TypedChoiceField(
        coerce=int, label=gettext_lazy("Move to the license key"), choices=()
    )

    def __init__(self, *args, targets=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.targets = {key.pk: key for key in targets}
        self.fields["license_key"].choices = [
            (key.pk, f"{key.subscription.name} · {key.display_name} · {license_key_mask(key.key)}")
            for key in self.targets.values()
        ]

    def target(self):
        return self.targets[self.cleaned_data["license_key"]]
