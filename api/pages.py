"""The API Tokens page (linked from Security Settings): create, see once, revoke."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from api import services
from api.models import ApiToken
from core.confirm import Confirmation, confirmation_page
from core.errors import form_error_add


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Token name"),
        max_length=100,
        help_text=gettext_lazy("What will use it, e.g. “Inventory script”."),
    )


@never_cache
@login_required
# A token acts as its owner: creating one asks for the password again unless the user
# signed in moments ago (allauth's reauthentication; the form resumes afterwards).
@reauthentication_required(allow_get=True)
def api_tokens(request: HttpRequest) -> HttpResponse:
    allowed = services.api_token_allowed(user=request.user)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST":
        if not allowed:
            return HttpResponse(str(services.ApiTokenError.messages["not_admin"]), status=403)
        if form.is_valid():
            try:
                new = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
            except services.ApiTokenError as error:
                form_error_add(form, error)
            else:
                # The secret goes straight into this one response (never cached) and
                # nowhere else: not the session, not a log. Reloading shows it no more.
                return _page(request, ApiTokenForm(), allowed, new=new)
    return _page(request, form, allowed)


def _page(request: HttpRequest, form, allowed: bool, new=None) -> HttpResponse:
    tokens = list(ApiToken.objects.filter(user=request.user))
    return render(
        request,
        "api/api_tokens.html",
        {
            "form": form,
            "allowed": allowed,
            "tokens": tokens,
            "new_secret": new.secret if new else None,
            "new_token_id": new.token.pk if new else None,
            "docs_url": reverse("api_docs"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET: the one confirmation (what stops working); POST: revoke."""
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404(_("No such token."))
    if request.method == "GET":
        return confirmation_page(
            request,
            Confirmation(
                title=_("Revoke the API token “%(name)s”?") % {"name": token.name},
                message=_(
                    "Every script or integration that sends it (%(prefix)s…) is refused from "
                    "its next request on. A revoked token cannot be used again."
                )
                % {"prefix": token.prefix},
                action=reverse("api_token_revoke", args=[token.pk]),
                button=_("Revoke"),
                cancel=reverse("api_tokens"),
            ),
        )
    try:
        services.api_token_revoke(token=token, actor=request.user)
    except services.ApiTokenError as error:
        messages.info(request, error.message)
    else:
        messages.success(
            request, _("The token “%(name)s” has been revoked.") % {"name": token.name}
        )
    return redirect("api_tokens")
