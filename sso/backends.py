"""The authentication backends of the portal, taught deprovisioning: a session's user is
loaded without a deprovisioned person (sso.selectors.sso_deprovisioned), so the next
page load of every session of theirs is signed out and lands on the sign-in page. The
same one query as before loads the user."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from sso.selectors import sso_deprovisioned


class _SignedOutWhenDeprovisioned:
    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.alias(deprovisioned=sso_deprovisioned())
            .filter(pk=user_id, deprovisioned=False)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None


class SsoModelBackend(_SignedOutWhenDeprovisioned, ModelBackend):
    """Django's backend (the admin's sign-in, force_login)."""


class SsoAuthenticationBackend(_SignedOutWhenDeprovisioned, AuthenticationBackend):
    """allauth's backend (sign-in by e-mail)."""
