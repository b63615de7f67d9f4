from django.urls import path

from support import views

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("<int:pk>/close/", views.ticket_close, name="ticket_close"),
    path("<int:pk>/reopen/", views.ticket_reopen, name="ticket_reopen"),
    path("<int:pk>/watch/", views.ticket_watch, name="ticket_watch"),
    path("<int:pk>/unwatch/", views.ticket_unwatch, name="ticket_unwatch"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="ticket_attachment",
    ),
]
