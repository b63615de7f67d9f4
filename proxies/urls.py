from django.urls import path

from proxies import views, views_blacklist_move

urlpatterns = [
    path("proxy-servers/", views.proxy_list, name="proxy_list"),
    path("proxy-servers/columns/", views.proxy_columns, name="proxy_columns"),
    path("proxy-servers/export/", views.proxy_export, name="proxy_export"),
    path("proxy-servers/deactivate/", views.proxy_deactivate, name="proxy_deactivate"),
    path("proxy-servers/blacklist/", views_blacklist_move.proxy_blacklist, name="proxy_blacklist"),
    path("proxy-servers/<int:pk>/", views.proxy_detail, name="proxy_detail"),
    path(
        "proxy-servers/<int:pk>/unblacklist/",
        views_blacklist_move.proxy_unblacklist,
        name="proxy_unblacklist",
    ),
    path("proxy-servers/<int:pk>/move/", views_blacklist_move.proxy_move, name="proxy_move"),
    path("proxy-servers/<int:pk>/notes/", views.proxy_notes, name="proxy_notes"),
]
