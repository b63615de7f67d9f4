from allauth.idp.oidc.adapter import DefaultOIDCAdapter


class GroupsAdapter(DefaultOIDCAdapter):
    """The user's groups travel in a `groups` claim, as Keycloak, Okta and Entra ID can
    be set up to send them."""

    def get_claims(self, purpose, user, client, scopes, email=None, **kwargs):
        claims = super().get_claims(purpose, user, client, scopes, email=email, **kwargs)
        claims["groups"] = sorted(user.groups.values_list("name", flat=True))
        return claims
