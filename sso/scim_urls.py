from django.urls import path, re_path

from sso import scim

urlpatterns = [
    path("ServiceProviderConfig", scim.service_provider_config, name="scim_service_provider"),
    path("Schemas", scim.schemas, name="scim_schemas"),
    re_path(r"^Schemas/(?P<schema_id>[^/]+)$", scim.schemas, name="scim_schema"),
    path("ResourceTypes", scim.resource_types, name="scim_resource_types"),
    path("ResourceTypes/<str:name>", scim.resource_types, name="scim_resource_type"),
    path(".search", scim.search, name="scim_search"),
    path("Users", scim.users, name="scim_users"),
    path("Users/.search", scim.search, {"resource_type": "Users"}, name="scim_users_search"),
    path("Users/<str:member_id>", scim.user, name="scim_user"),
    path("Groups", scim.groups, name="scim_groups"),
    path("Groups/.search", scim.search, {"resource_type": "Groups"}, name="scim_groups_search"),
    path("Groups/<str:group_id>", scim.group, name="scim_group"),
    # Anything else under /scim/v2/ is a SCIM 404, not the site's page.
    re_path(r"^.*$", scim.not_found),
]
