from django.urls import path

from subscriptions import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("register-key/", views.register_key, name="register_key"),
]
