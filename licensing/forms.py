from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def _max_upload() -> int:
    return int(settings.LICENSING_OFFLINE_MAX_UPLOAD)


class OfflineUploadForm(forms.Form):
    """Step 1: the request file the proxy saved (activation, refresh or deactivation)."""

    request_file = forms.FileField(
        label=gettext_lazy("Request file"),
        help_text=gettext_lazy(
            "The offline activation, refresh or deactivation request file your proxy server saved."
        ),
    )

    def clean_request_file(self) -> str:
        upload: UploadedFile = self.cleaned_data["request_file"]
        limit = _max_upload()
        if upload.size is None or upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(size)s KB: request files are a few "
                    "kilobytes. Select the request file saved by the proxy."
                )
                % {"size": limit // 1024}
            )
        raw = upload.read(limit + 1)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _(
                    "This is not a request file (it is not text). Select the request file "
                    "saved by the proxy."
                )
            ) from None


class OfflineConfirmForm(forms.Form):
    """Step 2: the same request, confirmed; it travels back in a hidden field."""

    request_text = forms.CharField(widget=forms.HiddenInput, strip=False)

    def clean_request_text(self) -> str:
        text = self.cleaned_data["request_text"]
        if len(text) > _max_upload():
            raise forms.ValidationError(_("The request is too large."))
        return text
