from django.urls import URLPattern, path

from subscriptions import views


def urlpatterns_for(usage: views.Usage) -> list[URLPattern]:
    """The subscriptions pages. The Dashboard, Subscription Details and deleting a
    sublicense show or change what installations use: they get `usage` (views.Usage)
    from the project's URLconf, which knows every app."""
    pass_usage = {"usage": usage}
    return [
        path("", views.dashboard, pass_usage, name="dashboard"),
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
            pass_usage,
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
            "subscriptions/<int:subscription_id>/keys/<int:key_id>/rename/",
            views.license_key_rename,
            name="license_key_rename",
        ),
        path(
            "subscriptions/<int:subscription_id>/keys/<int:key_id>/delete/",
            views.license_key_delete,
            pass_usage,
            name="license_key_delete",
        ),
        path(
            "subscriptions/<int:subscription_id>/keys/<int:key_id>/administrators/",
            views.license_key_administrators,
            name="license_key_administrators",
        ),
        path(
            "subscriptions/<int:subscription_id>/keys/<int:key_id>/administrators/"
            "<int:membership_id>/remove/",
            views.license_key_administrator_remove,
            name="license_key_administrator_remove",
        ),
    ]
