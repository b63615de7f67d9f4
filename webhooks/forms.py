"""Input of the Webhooks pages. The rules (which URLs, which types) are the services';
these forms only parse."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from webhooks.events import CATALOG


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=500,
        help_text=_("Where the events are POSTed. It must be an https:// address on the internet."),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/myaccount"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=[
            (event.type, format_lazy("{} — {}", event.type, event.description)) for event in CATALOG
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class RedeliverForm(forms.Form):
    since = forms.DateTimeField(
        label=_("Failed since"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Every failed event of this endpoint created since then is sent again."),
    )
