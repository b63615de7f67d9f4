from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from accounts.services import personal_account_ensure


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Every user gets a personal account the moment they sign up.
            personal_account_ensure(user=user)
        return user

    def login(self, request, user) -> None:
        super().login(request, user)
        keep = request.session.pop("signup_keep_signed_in", None)
        if keep is not None:
            request.session.set_expiry(settings.SESSION_COOKIE_AGE if keep else 0)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        personal_account_ensure(user=user)
        return user
