from django.urls import path

from reports import views

urlpatterns = [
    path("", views.usage_reports, name="usage_reports"),
    path("<int:report_id>/", views.usage_report_detail, name="usage_report_detail"),
]
