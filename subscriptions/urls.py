from django.urls import path

from subscriptions import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("register-key/", views.register_key, name="register_key"),
    path("support/", views.support, name="support"),
    path("products/<slug:product_code>/downloads/", views.downloads, name="download"),
    path(
        "products/<slug:product_code>/downloads/<int:download_id>/",
        views.download_file,
        name="download_file",
    ),
    path("subscriptions/", views.subscription_list, name="subscription_list"),
    path(
        "subscriptions/<int:subscription_id>/",
        views.subscription_detail,
        name="subscription_detail",
    ),
    path(
        "subscriptions/<int:subscription_id>/rename/",
        views.subscription_rename,
        name="subscription_rename",
    ),
    path(
        "subscriptions/<int:subscription_id>/keys/new/",
        views.license_key_create,
        name="license_key_create",
    ),
    path(
        "subscriptions/<int:subscription_id>/keys/<int:key_id>/",
        views.license_key_update,
        name="license_key_update",
    ),
    path(
        "subscriptions/<int:subscription_id>/keys/<int:key_id>/delete/",
        views.license_key_delete,
        name="license_key_delete",
    ),
]
