from django.urls import path

from proxies import views

urlpatterns = [
    path("proxy-servers/", views.proxy_list, name="proxy_list"),
    path("proxy-servers/columns/", views.proxy_columns, name="proxy_columns"),
    path("proxy-servers/export/", views.proxy_export, name="proxy_export"),
    path("proxy-servers/deactivate/", views.proxy_deactivate, name="proxy_deactivate"),
    path("proxy-servers/<int:pk>/", views.proxy_detail, name="proxy_detail"),
    path("proxy-servers/<int:pk>/notes/", views.proxy_notes, name="proxy_notes"),
]
