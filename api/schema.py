"""drf-spectacular: the bearer token security scheme of the administrators' API."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, created on the API Tokens page of "
            "Security Settings (Account Administrators only): "
            "`Authorization: Bearer <token>`.",
        }
