from importlib import import_module

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt


def _view(name: str):
    """The SCIM view `name` of sso.scim, imported on the first SCIM request: scim2-models
    (pydantic models of the whole SCIM schema) costs a process about 0.7 s of CPU to
    import, and only the processes that serve an identity provider need it — not every
    gunicorn worker's boot, Celery worker or manage.py command. SCIM authenticates by its
    bearer token, never by a cookie: CSRF does not apply (each view is exempt too)."""

    @csrf_exempt
    def view(request, *args, **kwargs):
        return getattr(import_module("sso.scim"), name)(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    return view


urlpatterns = [
    path("ServiceProviderConfig", _view("service_provider_config"), name="scim_service_provider"),
    path("Schemas", _view("schemas"), name="scim_schemas"),
    re_path(r"^Schemas/(?P<schema_id>[^/]+)$", _view("schemas"), name="scim_schema"),
    path("ResourceTypes", _view("resource_types"), name="scim_resource_types"),
    path("ResourceTypes/<str:name>", _view("resource_types"), name="scim_resource_type"),
    path(".search", _view("search"), name="scim_search"),
    path("Users", _view("users"), name="scim_users"),
    path("Users/.search", _view("search"), {"resource_type": "Users"}, name="scim_users_search"),
    path("Users/<str:member_id>", _view("user"), name="scim_user"),
    path("Groups", _view("groups"), name="scim_groups"),
    path("Groups/.search", _view("search"), {"resource_type": "Groups"}, name="scim_groups_search"),
    path("Groups/<str:group_id>", _view("group"), name="scim_group"),
    # Anything else under /scim/v2/ is a SCIM 404, not the site's page.
    re_path(r"^.*$", _view("not_found")),
]
