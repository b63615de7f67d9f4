from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from subscriptions.forms import RegisterKeyForm


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    account = request.account
    subscriptions = account.subscriptions.select_related("product") if account else []
    return render(
        request,
        "subscriptions/dashboard.html",
        {"subscriptions": list(subscriptions), "register_form": RegisterKeyForm()},
    )


@login_required
def register_key(request: HttpRequest) -> HttpResponse:
    form = RegisterKeyForm(request.POST or None)
    if request.method == "POST":
        form.is_valid()
    return render(request, "subscriptions/register_key.html", {"form": form})
