from __future__ import annotations

from django import forms

from subscriptions.models import license_key_normalize


class RegisterKeyForm(forms.Form):
    key = forms.CharField(
        label="License Key",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_key(self) -> str:
        key = license_key_normalize(self.cleaned_data["key"])
        if key is None:
            raise forms.ValidationError(
                "This is not a valid license key. It has 25 letters and digits, like "
                "ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2."
            )
        return key
