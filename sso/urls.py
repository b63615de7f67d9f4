from django.urls import path

from sso import views

urlpatterns = [
    path("", views.sso_settings, name="sso_settings"),
    path("domains/", views.sso_domain_add, name="sso_domain_add"),
    path("domains/<int:domain_id>/verify/", views.sso_domain_verify, name="sso_domain_verify"),
    path("domains/<int:domain_id>/remove/", views.sso_domain_remove, name="sso_domain_remove"),
    path("idp/", views.sso_idp_save, name="sso_idp_save"),
    path("idp/saml/", views.sso_saml_idp_save, name="sso_saml_idp_save"),
    path("roles/", views.sso_roles_save, name="sso_roles_save"),
    path("enforcement/", views.sso_enforcement_save, name="sso_enforcement_save"),
    path("scim-token/", views.sso_scim_token_rotate, name="sso_scim_token_rotate"),
]
