"""The middleware that serve people, each stepping aside under the licensing API
(``MIDDLEWARE_SKIPPED_UNDER``, core/middleware.py): the same classes at the same places
of ``MIDDLEWARE``.

Not here, so they run on every request: the security headers, WhiteNoise, the
language (a proxy's error messages follow its Accept-Language), the JSON errors under
/api/, CommonMiddleware, CSRF (the API views are exempt; Django's deploy check asks for
it by name), X-Frame-Options, CSP and allauth's middleware (allauth requires it by name).
"""

from __future__ import annotations

from allauth.usersessions.middleware import UserSessionsMiddleware as _UserSessions
from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Message
from django.contrib.sessions.middleware import SessionMiddleware as _Session

from accounts.middleware import CurrentAccountMiddleware as _CurrentAccount
from core.middleware import skipped_under
from core.not_found import NotFoundPageMiddleware as _NotFoundPage
from myaccount.middleware import UserLocaleMiddleware as _UserLocale

SessionMiddleware = skipped_under(_Session)
AuthenticationMiddleware = skipped_under(_Authentication)
UserLocaleMiddleware = skipped_under(_UserLocale)
MessageMiddleware = skipped_under(_Message)
UserSessionsMiddleware = skipped_under(_UserSessions)
CurrentAccountMiddleware = skipped_under(_CurrentAccount)
NotFoundPageMiddleware = skipped_under(_NotFoundPage)
