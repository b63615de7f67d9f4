"""`Authorization: Bearer <token>` with a personal API token.

The token only says who is calling. What the caller may do is decided at each request
from their current memberships (api.access), so blocking or demoting a member takes
effect on their very next API request.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from api import services


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the header as: Authorization: Bearer <token>."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("The token is not valid.")) from None
        token = services.api_token_authenticate(secret=secret)
        if token is None:
            raise AuthenticationFailed(_("The token is not valid, or it has been revoked."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to requests without a valid token.
        return 'Bearer realm="api"'
