from django.http import HttpRequest


def current_account(request: HttpRequest) -> dict:
    return {
        "current_account": getattr(request, "account", None),
        "current_membership": getattr(request, "membership", None),
        "account_memberships": getattr(request, "memberships", []),
    }
