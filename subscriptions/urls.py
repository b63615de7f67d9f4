from django.urls import path

from subscriptions import views

# The Dashboard, Subscription Details and deleting a sublicense are in proxies.urls:
# they show or change what installations use.
urlpatterns = [
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
        "subscriptions/<int:subscription_id>/keys/<int:key_id>/rename/",
        views.license_key_rename,
        name="license_key_rename",
    ),
]
