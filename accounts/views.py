from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.current import account_switch
from accounts.forms import PersonalProfileForm
from accounts.services import user_profile_update


@login_required
@require_POST
def switch_account(request: HttpRequest) -> HttpResponse:
    try:
        account_id = int(request.POST.get("account", ""))
    except ValueError:
        account_id = 0
    if not account_switch(request, account_id=account_id):
        messages.error(request, "You cannot open that account.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = ""
    # Pages of one account make no sense in another: go back to the Dashboard.
    return redirect(target or "dashboard")


@login_required
def personal_profile(request: HttpRequest) -> HttpResponse:
    form = PersonalProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_profile_update(
            user=request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        messages.success(request, "Your profile has been saved.")
        return redirect("personal_profile")
    return render(request, "accounts/personal_profile.html", {"form": form})


@login_required
def security_settings(request: HttpRequest) -> HttpResponse:
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    authenticators = {a.type: a for a in Authenticator.objects.filter(user=request.user)}
    sessions = UserSession.objects.filter(user=request.user).count()
    return render(
        request,
        "accounts/security_settings.html",
        {
            "totp": authenticators.get(Authenticator.Type.TOTP),
            "recovery_codes": authenticators.get(Authenticator.Type.RECOVERY_CODES),
            "session_count": sessions,
        },
    )


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/terms.html")
