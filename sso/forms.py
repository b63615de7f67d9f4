"""Input of the Single Sign-On page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy


class DomainForm(forms.Form):
    domain = forms.CharField(
        label=gettext_lazy("Domain"),
        max_length=253,
        help_text=gettext_lazy("The part of your people's e-mail addresses after the @."),
        widget=forms.TextInput(attrs={"placeholder": "example.com", "autocomplete": "off"}),
    )
