"""The "Offline Activation and Validation" page (guide, chapter 4).

An Account Administrator uploads the request file a proxy saved, sees what it is and
what it will do, confirms, and downloads the signed answer file (or reads that the
deactivation is complete). Regular Members see what the page is for, and no upload.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import account_wide, business_account_required
from licensing import services
from licensing.errors import LicensingError
from licensing.forms import OfflineConfirmForm, OfflineUploadForm
from subscriptions import selectors as subscription_selectors

SESSION_ANSWERS = "licensing_offline_answers"
KEEP_ANSWERS = 5
TEMPLATE = "licensing/offline.html"


def _render(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    context.setdefault("upload_form", OfflineUploadForm())
    # The guide reaches this page from the product's "More" menu: keep that navigation.
    context["nav"] = subscription_selectors.product_nav(
        account=request.account, code=request.GET.get("product")
    )
    context["nav_page"] = "Offline Activation and Validation"
    return render(request, TEMPLATE, context, status=status)


def _remember_answer(request: HttpRequest, described: services.OfflineRequest, text: str) -> str:
    token = secrets.token_urlsafe(16)
    answers = dict(request.session.get(SESSION_ANSWERS, {}))
    answers[token] = {
        "text": text,
        "filename": described.answer_filename,
        "account_id": request.account.id,
    }
    # Only the last few: an answer is downloaded right after it is made.
    request.session[SESSION_ANSWERS] = dict(list(answers.items())[-KEEP_ANSWERS:])
    return token


@business_account_required
@account_wide
@require_http_methods(["GET", "POST"])
def offline_operations(request: HttpRequest) -> HttpResponse:
    is_admin = request.membership is not None and request.membership.is_admin
    if request.method == "GET":
        return _render(request, {"is_admin": is_admin})
    if not is_admin:
        raise PermissionDenied(_("Only an Account Administrator can upload offline requests."))

    if request.POST.get("step") == "confirm":
        form = OfflineConfirmForm(request.POST)
        if not form.is_valid():
            return _render(
                request,
                {"is_admin": True, "error": _("The request was lost; select the file again.")},
                status=400,
            )
        text = form.cleaned_data["request_text"]
        try:
            described, answer = services.offline_request_process(
                text, actor=request.user, account=request.account
            )
        except LicensingError as exc:
            return _render(request, {"is_admin": True, "error": exc.message}, status=400)
        token = _remember_answer(request, described, answer)
        return _render(request, {"is_admin": True, "done": described, "answer_token": token})

    form = OfflineUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, {"is_admin": True, "upload_form": form}, status=400)
    text = form.cleaned_data["request_file"]
    try:
        described = services.offline_request_inspect(
            text, actor=request.user, account=request.account
        )
    except LicensingError as exc:
        return _render(request, {"is_admin": True, "error": exc.message}, status=400)
    return _render(
        request,
        {
            "is_admin": True,
            "inspected": described,
            "confirm_form": OfflineConfirmForm(initial={"request_text": text}),
        },
    )


@business_account_required
@account_wide
@require_http_methods(["GET"])
def offline_answer_download(request: HttpRequest, token: str) -> HttpResponse:
    if request.membership is None or not request.membership.is_admin:
        raise PermissionDenied(_("Only an Account Administrator can download answer files."))
    answer = request.session.get(SESSION_ANSWERS, {}).get(token)
    if answer is None or answer.get("account_id") != request.account.id:
        raise Http404(_("This answer file is no longer available; upload the request again."))
    response = HttpResponse(answer["text"], content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = f'attachment; filename="{answer["filename"]}"'
    response["Cache-Control"] = "no-store"
    return response
