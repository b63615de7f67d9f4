from django.urls import path

from licensing import api, views

urlpatterns = [
    path("api/licensing/activate/", api.ActivateView.as_view(), name="licensing_activate"),
    path("api/licensing/refresh/", api.RefreshView.as_view(), name="licensing_refresh"),
    path("api/licensing/usage/", api.UsageView.as_view(), name="licensing_usage"),
    path("api/licensing/deactivate/", api.DeactivateView.as_view(), name="licensing_deactivate"),
    path("api/licensing/public-keys/", api.PublicKeysView.as_view(), name="licensing_public_keys"),
    path("offline/", views.offline_operations, name="offline_operations"),
    path(
        "offline/answers/<str:token>/",
        views.offline_answer_download,
        name="offline_answer_download",
    ),
]
