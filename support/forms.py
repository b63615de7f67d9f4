"""Input of the Tickets pages: the list's filter, a new ticket, a reply, a watcher."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Account, Membership
from subscriptions.models import license_key_shown
from support import attachments as attachment_rules
from support import selectors, services
from support.models import Ticket

STATUS_CHOICES = [
    (selectors.ALL, gettext_lazy("All")),
    (selectors.ACTIVE, gettext_lazy("Open or waiting for you")),
    *Ticket.Status.choices,
]
CATEGORY_CHOICES = [("", gettext_lazy("All categories")), *Ticket.Category.choices]


class TicketFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label=gettext_lazy("Status"))
    category = forms.ChoiceField(
        choices=CATEGORY_CHOICES, required=False, label=gettext_lazy("Category")
    )
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Search"))
    sort = forms.ChoiceField(choices=[(s, s) for s in selectors.SORTS], required=False)

    def values(self) -> dict[str, str]:
        """Valid values, with defaults for whatever is missing or wrong."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "status": data.get("status") or selectors.ALL,
            "category": data.get("category") or "",
            "q": (data.get("q") or "").strip(),
            "sort": data.get("sort") or selectors.DEFAULT_SORT,
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def uploads_from(files: list[UploadedFile]) -> list[services.Upload]:
    """The files as the service takes them. One larger than the limit is read only up
    to one byte past it: enough for the service to refuse it."""
    limit = attachment_rules.max_bytes() + 1
    return [services.Upload(name=f.name or "", content=f.read(limit)) for f in files]


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(label=gettext_lazy("Attachments"), required=False)


def attachments_help() -> str:
    return gettext(
        "Up to %(count)d files of up to %(size)d MB each: PNG, JPEG or GIF images, PDF, "
        "ZIP or plain text (logs)."
    ) % {"count": attachment_rules.max_files(), "size": attachment_rules.max_bytes() // 2**20}


class TicketForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=services.SUBJECT_MAX)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Ticket.Category.choices)
    subscription = forms.ModelChoiceField(
        label=gettext_lazy("Subscription"), queryset=None, required=False
    )
    license_key = forms.ModelChoiceField(
        label=gettext_lazy("License key"), queryset=None, required=False
    )
    proxy_server = forms.ModelChoiceField(
        label=gettext_lazy("Proxy server"), queryset=None, required=False
    )
    message = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=services.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = _attachments_field()

    def __init__(self, *args, account: Account, viewer: Membership | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()
        # Only what the person sees in their current account.
        self.fields["subscription"].queryset = selectors.concern_subscriptions(account=account)
        self.fields["subscription"].label_from_instance = lambda s: s.display_name
        self.fields["license_key"].queryset = selectors.concern_license_keys(account=account)
        self.fields["license_key"].label_from_instance = lambda k: (
            f"{k.display_name} ({license_key_shown(k.key, viewer=viewer)}) · "
            f"{k.subscription.display_name}"
        )
        servers = selectors.concern_proxy_servers(account=account)
        self.fields["proxy_server"].queryset = servers
        if not account.is_business:
            del self.fields["proxy_server"]
        for name in ("subscription", "license_key", "proxy_server"):
            if name in self.fields:
                self.fields[name].empty_label = gettext("— None —")
                self.fields[name].error_messages["invalid_choice"] = gettext(
                    "Choose one of the listed items."
                )


class ReplyForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=services.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = _attachments_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()


class WatcherForm(forms.Form):
    user = forms.ModelChoiceField(label=gettext_lazy("Person"), queryset=None)

    def __init__(self, *args, account: Account, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.account_members(account=account)
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.get_full_name()} ({u.email})" if u.get_full_name() else u.email
        )
