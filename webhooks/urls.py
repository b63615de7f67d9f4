"""Business Profile → Webhooks (under /account/business/webhooks/)."""

from django.urls import path

from webhooks import views

urlpatterns = [
    path("", views.endpoint_list, name="webhook_endpoints"),
    path("new/", views.endpoint_new, name="webhook_endpoint_new"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="webhook_endpoint"),
    path("<int:endpoint_id>/edit/", views.endpoint_edit, name="webhook_endpoint_edit"),
    path("<int:endpoint_id>/rotate/", views.endpoint_rotate, name="webhook_endpoint_rotate"),
    path("<int:endpoint_id>/test/", views.endpoint_test, name="webhook_endpoint_test"),
    path("<int:endpoint_id>/delete/", views.endpoint_delete, name="webhook_endpoint_delete"),
    path(
        "<int:endpoint_id>/redeliver/",
        views.endpoint_redeliver_failed,
        name="webhook_endpoint_redeliver",
    ),
    path(
        "<int:endpoint_id>/deliveries/<int:delivery_id>/",
        views.delivery_detail,
        name="webhook_delivery",
    ),
    path(
        "<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="webhook_delivery_redeliver",
    ),
]
