from django.urls import path

from accounts import views

urlpatterns = [
    path("switch/", views.switch_account, name="switch_account"),
    path("language/", views.language_choose, name="language_choose"),
    path("profile/", views.personal_profile, name="personal_profile"),
    path("security/", views.security_settings, name="security_settings"),
    path("email/remove/", views.email_remove, name="email_remove"),
    path("feedback/", views.feedback, name="feedback"),
    # Business Profile pages work on the current account (session): ids of another
    # account's members or invitations are a 404.
    path("business/", views.business_profile, name="business_profile"),
    path("business/edit/", views.business_profile_edit, name="business_profile_edit"),
    path("business/leave/", views.business_leave, name="business_leave"),
    path("business/users/", views.business_users, name="business_users"),
    path("business/users/invite/", views.invite_users, name="invite_users"),
    path("business/users/actions/", views.business_users_bulk, name="business_users_bulk"),
    path("business/users/<int:membership_id>/", views.membership_detail, name="membership_detail"),
    path(
        "business/users/<int:membership_id>/block/",
        views.membership_block_view,
        name="membership_block",
    ),
    path(
        "business/users/<int:membership_id>/unblock/",
        views.membership_unblock_view,
        name="membership_unblock",
    ),
    path(
        "business/users/<int:membership_id>/delete/",
        views.membership_delete_view,
        name="membership_delete",
    ),
    path(
        "business/invitations/<int:invitation_id>/resend/",
        views.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "business/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("business/audit-log/", views.audit_log, name="audit_log"),
    path("join/<str:token>/", views.invitation_join, name="invitation_join"),
]
