"""The licensing app's pages. Its REST API (``api_patterns``) is mounted at
``/api/licensing/`` first in the site's URLconf: every proxy calls it, so it is
resolved before the site's hundreds of page patterns."""

from django.urls import path

from licensing import api, views

api_patterns = [
    path("activate/", api.ActivateView.as_view(), name="licensing_activate"),
    path("refresh/", api.RefreshView.as_view(), name="licensing_refresh"),
    path("usage/", api.UsageView.as_view(), name="licensing_usage"),
    path("deactivate/", api.DeactivateView.as_view(), name="licensing_deactivate"),
    path("public-keys/", api.PublicKeysView.as_view(), name="licensing_public_keys"),
]

urlpatterns = [
    path("offline/", views.offline_operations, name="offline_operations"),
    path(
        "offline/answers/<str:token>/",
        views.offline_answer_download,
        name="offline_answer_download",
    ),
]
