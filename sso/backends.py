"""The authentication backends of the portal, taught deprovisioning: a session's user is
not loaded when they are deprovisioned (sso.selectors.sso_deprovisioned), so the next
page load of every session of theirs is signed out and lands on the sign-in page."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend

from sso.selectors import sso_deprovisioned


class _SignedOutWhenDeprovisioned:
    def get_user(self, user_id):
        user = super().get_user(user_id)
        return None if user is None or sso_deprovisioned(user) else user

    async def aget_user(self, user_id):
        return await sync_to_async(self.get_user)(user_id)


class SsoModelBackend(_SignedOutWhenDeprovisioned, ModelBackend):
    """Django's backend (the admin's sign-in, force_login)."""


class SsoAuthenticationBackend(_SignedOutWhenDeprovisioned, AuthenticationBackend):
    """allauth's backend (sign-in by e-mail)."""
