from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from core.catalog import LanguageCatalog
from licensing import urls as licensing_urls
from myaccount.health import healthz
from proxies import selectors as proxy_selectors
from proxies import services as proxy_services
from sso import views as sso_views
from subscriptions import urls as subscription_urls
from subscriptions.views import Usage

# The admin login goes through allauth's rate-limited login (and its MFA).
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = f"{settings.SITE_NAME} administration"

# The subscriptions pages that show licenses in use read it from proxies, a layer above
# them: passed in here, where every app is known (subscriptions.views.Usage).
SUBSCRIPTION_USAGE = Usage(
    dashboard_products=proxy_selectors.dashboard_products,
    license_key_table=proxy_selectors.license_key_table,
    sublicense_delete=proxy_services.sublicense_delete,
)

urlpatterns = [
    # First: the proxies' licensing API (licensing/urls.py says why).
    path("api/licensing/", include(licensing_urls.api_patterns)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Sign-up in one transaction: the new user and their confirmation e-mail (written
    # to the outbox) commit together or not at all.
    path("accounts/signup/", transaction.atomic(allauth_views.signup), name="account_signup"),
    path("accounts/sso/", sso_views.sso_start, name="sso_start"),
    # allauth's SAML ACS finish, with the SSO page for a replayed or unasked response.
    path(
        "accounts/saml/<str:organization_slug>/acs/finish/",
        sso_views.sso_saml_finish,
        name="sso_saml_finish",
    ),
    path("accounts/", include("allauth.urls")),
    path("account/business/webhooks/", include("webhooks.urls")),
    path("account/business/sso/", include("sso.urls")),
    # SCIM 2.0 for the identity providers of business accounts (bearer token per account).
    path("scim/v2/", include("sso.scim_urls")),
    path("account/", include("accounts.urls")),
    path("terms/", account_views.terms, name="terms"),
    # The strings of static/js/app.js in the page's language (core/catalog.py).
    path("jsi18n/<str:language>/", LanguageCatalog.as_view(), name="javascript_catalog"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/v1/", include("webhooks.api_urls")),  # before api's catch-all 404
    path("", include("api.urls")),  # /api/v1/ and /account/api-tokens/
    path("usage-reports/", include("reports.urls")),
    path("support/tickets/", include("support.urls")),
    path("", include("proxies.urls")),
    path("", include("licensing.urls")),
    path("", include(subscription_urls.urlpatterns_for(SUBSCRIPTION_USAGE))),
]

# Under /api/ the errors are JSON in the APIs' shape; elsewhere the site's pages.
handler400 = "core.api_errors.bad_request"
handler403 = "core.api_errors.permission_denied"
handler404 = "core.api_errors.page_not_found"
handler500 = "core.api_errors.server_error"
