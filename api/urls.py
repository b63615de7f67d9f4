"""The administrators' REST API under /api/v1/, and the API Tokens page under /account/."""

from django.urls import include, path

from api import key_administrators, pages, sso, tickets, views

v1 = [
    path("accounts/", views.AccountListView.as_view(), name="api_accounts"),
    path(
        "accounts/<int:account_id>/subscriptions/",
        views.SubscriptionListView.as_view(),
        name="api_subscriptions",
    ),
    path(
        "accounts/<int:account_id>/subscriptions/<int:subscription_id>/",
        views.SubscriptionDetailView.as_view(),
        name="api_subscription",
    ),
    path(
        "accounts/<int:account_id>/subscriptions/<int:subscription_id>/license-keys/",
        views.LicenseKeyListView.as_view(),
        name="api_license_keys",
    ),
    path(
        "accounts/<int:account_id>/subscriptions/<int:subscription_id>/license-keys/<int:key_id>/",
        views.LicenseKeyDetailView.as_view(),
        name="api_license_key",
    ),
    path(
        "accounts/<int:account_id>/proxy-servers/",
        views.ProxyServerListView.as_view(),
        name="api_proxy_servers",
    ),
    path(
        "accounts/<int:account_id>/proxy-servers/<int:proxy_id>/",
        views.ProxyServerDetailView.as_view(),
        name="api_proxy_server",
    ),
    path(
        "accounts/<int:account_id>/proxy-servers/<int:proxy_id>/usage/",
        views.ProxyServerUsageView.as_view(),
        name="api_proxy_server_usage",
    ),
    path(
        "accounts/<int:account_id>/proxy-servers/<int:proxy_id>/deactivate/",
        views.ProxyServerDeactivateView.as_view(),
        name="api_proxy_server_deactivate",
    ),
    path(
        "accounts/<int:account_id>/proxy-servers/<int:proxy_id>/blacklist/",
        views.ProxyServerBlacklistView.as_view(),
        name="api_proxy_server_blacklist",
    ),
    path(
        "accounts/<int:account_id>/proxy-servers/<int:proxy_id>/unblacklist/",
        views.ProxyServerUnblacklistView.as_view(),
        name="api_proxy_server_unblacklist",
    ),
    path(
        "accounts/<int:account_id>/proxy-servers/<int:proxy_id>/move/",
        views.ProxyServerMoveView.as_view(),
        name="api_proxy_server_move",
    ),
    path("accounts/<int:account_id>/members/", views.MemberListView.as_view(), name="api_members"),
    path(
        "accounts/<int:account_id>/members/<int:member_id>/",
        views.MemberDetailView.as_view(),
        name="api_member",
    ),
    path(
        "accounts/<int:account_id>/members/<int:member_id>/block/",
        views.MemberBlockView.as_view(),
        name="api_member_block",
    ),
    path(
        "accounts/<int:account_id>/members/<int:member_id>/unblock/",
        views.MemberUnblockView.as_view(),
        name="api_member_unblock",
    ),
    path(
        "accounts/<int:account_id>/invitations/",
        views.InvitationListView.as_view(),
        name="api_invitations",
    ),
    path(
        "accounts/<int:account_id>/invitations/<int:invitation_id>/",
        views.InvitationDetailView.as_view(),
        name="api_invitation",
    ),
    path(
        "accounts/<int:account_id>/audit-log/", views.AuditLogView.as_view(), name="api_audit_log"
    ),
    path(
        "accounts/<int:account_id>/tickets/", tickets.TicketListView.as_view(), name="api_tickets"
    ),
    path(
        "accounts/<int:account_id>/tickets/<int:ticket_id>/",
        tickets.TicketDetailView.as_view(),
        name="api_ticket",
    ),
    path(
        "accounts/<int:account_id>/tickets/<int:ticket_id>/replies/",
        tickets.TicketReplyView.as_view(),
        name="api_ticket_replies",
    ),
    path(
        "accounts/<int:account_id>/tickets/<int:ticket_id>/attachments/<int:attachment_id>/",
        tickets.TicketAttachmentView.as_view(),
        name="api_ticket_attachment",
    ),
    path("accounts/<int:account_id>/sso/", sso.SsoConfigView.as_view(), name="api_sso"),
    path(
        "accounts/<int:account_id>/sso/domains/",
        sso.SsoDomainListView.as_view(),
        name="api_sso_domains",
    ),
    path(
        "accounts/<int:account_id>/subscriptions/<int:subscription_id>/license-keys/"
        "<int:key_id>/administrators/",
        key_administrators.KeyAdministratorListView.as_view(),
        name="api_license_key_administrators",
    ),
    path(
        "accounts/<int:account_id>/subscriptions/<int:subscription_id>/license-keys/"
        "<int:key_id>/administrators/<int:administrator_id>/",
        key_administrators.KeyAdministratorDetailView.as_view(),
        name="api_license_key_administrator",
    ),
]


# Any other path under /api/v1/ (a negative or non-numeric id, say) answers the API's
# JSON 404 (handler404, core/api_errors.py), not the site's HTML page.
urlpatterns = [
    path("api/v1/", include(v1)),
    path("account/api-tokens/", pages.api_tokens, name="api_tokens"),
    path(
        "account/api-tokens/<int:token_id>/revoke/", pages.api_token_revoke, name="api_token_revoke"
    ),
]
