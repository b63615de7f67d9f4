"""/api/v1/accounts/{id}/webhooks/... (included by myaccount/urls.py before the API
app's catch-all, so its paths answer here)."""

from django.urls import path

from webhooks import api

BASE = "accounts/<int:account_id>/webhooks/"

urlpatterns = [
    path(BASE, api.EndpointListView.as_view(), name="api_webhooks"),
    path(f"{BASE}<int:endpoint_id>/", api.EndpointDetailView.as_view(), name="api_webhook"),
    path(
        f"{BASE}<int:endpoint_id>/rotate-secret/",
        api.EndpointRotateView.as_view(),
        name="api_webhook_rotate",
    ),
    path(f"{BASE}<int:endpoint_id>/test/", api.EndpointTestView.as_view(), name="api_webhook_test"),
    path(
        f"{BASE}<int:endpoint_id>/redeliver/",
        api.EndpointRedeliverView.as_view(),
        name="api_webhook_redeliver",
    ),
    path(
        f"{BASE}<int:endpoint_id>/deliveries/",
        api.DeliveryListView.as_view(),
        name="api_webhook_deliveries",
    ),
    path(
        f"{BASE}<int:endpoint_id>/deliveries/<int:delivery_id>/",
        api.DeliveryDetailView.as_view(),
        name="api_webhook_delivery",
    ),
    path(
        f"{BASE}<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        api.DeliveryRedeliverView.as_view(),
        name="api_webhook_delivery_redeliver",
    ),
]
