from django.urls import path

from accounts import views

urlpatterns = [
    path("switch/", views.switch_account, name="switch_account"),
    path("profile/", views.personal_profile, name="personal_profile"),
    path("security/", views.security_settings, name="security_settings"),
]
