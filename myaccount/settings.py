"""MyAccount settings: one module, driven by the environment (12-factor).

With nothing set, the portal runs for development on SQLite with Celery tasks
executed in-process. Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL; `manage.py check --deploy` then reports nothing.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A string setting; NAME_FILE names a file holding it (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envfloat(name: str, default: float) -> float:
    value = env(name, str(default))
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
# The public address every e-mail and webhook links to. `make run PORT=8123` serves on
# another port, and SITE_URL follows it unless set.
SITE_URL = env("SITE_URL", f"http://127.0.0.1:{envint('PORT', 8000)}").rstrip("/")
# The portal's name on every page, e-mail and title (the guide's "Parallels My Account").
SITE_NAME = env("SITE_NAME", "My Account")
# The previous portal, linked as "Old Version" in every page's footer (blank: no link).
OLD_VERSION_URL = env("OLD_VERSION_URL", "https://account.parallels.com")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # First of our apps: its `runserver` (core/management/commands/runserver.py) wraps
    # WhiteNoise's, which wraps Django's.
    "core",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django_countries",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    # Single sign-on: one app per business account (sso/), provider_id "sso-<account id>".
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "allauth.usersessions",
    "myaccount",
    "outbox",
    "accounts",
    "subscriptions",
    "licensing",
    "proxies",
    "reports",
    "support",
    "api",
    "webhooks",
    "sso",
]

# One stack for every request, the licensing API's included: its middleware is lazy where
# a request carries no cookie (no session, user or account is read for a proxy's call).
# The middleware of myaccount.people_middleware serve people (a session, who is signed
# in, their language and account, messages, the 404 page): each steps aside under the
# licensing API, whose proxies send signed messages and no cookie (core/middleware.py).
MIDDLEWARE_SKIPPED_UNDER = ("/api/licensing/",)
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "myaccount.people_middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # /api/ answers JSON, a missing trailing slash included (core/api_errors.py).
    "core.api_errors.ApiAnswersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "myaccount.people_middleware.AuthenticationMiddleware",
    "myaccount.people_middleware.UserLocaleMiddleware",
    "myaccount.people_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "myaccount.people_middleware.UserSessionsMiddleware",
    "myaccount.people_middleware.CurrentAccountMiddleware",
    # The portal's 404 page with DEBUG on too (`make run`), not Django's debug 404 page.
    "myaccount.people_middleware.NotFoundPageMiddleware",
]

ROOT_URLCONF = "myaccount.urls"
WSGI_APPLICATION = "myaccount.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "accounts.context_processors.current_account",
                "proxies.context_processors.proxy_servers",
            ],
        },
    },
]

# Database: SQLite for the zero-setup `make run`, Postgres wherever DATABASE_URL says.
# Each process keeps its connection for DB_CONN_MAX_AGE seconds (0: one per request) and
# checks it before reuse (DB_CONN_HEALTH_CHECKS), so a restarted Postgres costs no error.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 600),
        conn_health_checks=envbool("DB_CONN_HEALTH_CHECKS", True),
    )
}
# SQLite (the zero-setup `make run`) is shared by the web server, the Celery worker and
# beat: write-ahead logging lets readers go on beside a writer, and a transaction takes
# the write lock when it begins and waits for it, rather than failing "database is locked".
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis backs the cache (allauth's rate limits need a shared one) and the Celery broker.
# The cache answers from process memory while Redis is unreachable (myaccount/cache.py):
# sign-in and the licensing API keep working, /healthz says the cache is down.
REDIS_URL = env("REDIS_URL")
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "myaccount")
# Seconds one Redis operation may take (connecting, or waiting for an answer) wherever the
# portal uses Redis: the cache, publishing a task, /healthz. Redis answers in well under
# a millisecond; one that does not answer at all (frozen: SIGSTOP, a dead VM, a network
# that drops packets; the TCP connection stays open) must cost a request this long, not
# hang it until gunicorn kills the worker. Then the cache answers from process memory
# for a while (myaccount/cache.py) and the task waits in the database for its sweep.
REDIS_TIMEOUT = envfloat("REDIS_TIMEOUT", 0.5)
REDIS_SOCKET_OPTIONS = {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "myaccount.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": dict(REDIS_SOCKET_OPTIONS),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "myaccount.cache.LocalCache"}}

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, whose sessions end when SSO deprovisions the person.
AUTHENTICATION_BACKENDS = [
    "sso.backends.SsoModelBackend",
    "sso.backends.SsoAuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: email is the login; sign-up asks for name, terms and "Keep me signed in".
# "Require SSO" (sso/) refuses password sign-in and reset to people of enforced domains.
ACCOUNT_ADAPTER = "sso.adapters.SsoAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "sso.forms.SsoSignupForm"}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
# "mandatory" also keeps sign-up from telling who has an account (allauth's enumeration
# prevention): a taken address gets an email instead of an error.
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None  # the "Keep me signed in" box decides
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
USERSESSIONS_TRACK_ACTIVITY = True
# Social sign-in, plus single sign-on through business accounts' own IdPs (sso/).
SOCIALACCOUNT_ADAPTER = "sso.adapters.SsoSocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False


def _social_app(provider: str) -> dict:
    client_id = env(f"{provider.upper()}_CLIENT_ID")
    secret = env(f"{provider.upper()}_CLIENT_SECRET")
    return {"APPS": [{"client_id": client_id, "secret": secret, "key": ""}]} if client_id else {}


# Google and Facebook sign-up appear when configured here (env) or as a SocialApp in admin.
SOCIALACCOUNT_PROVIDERS = {
    "google": {"SCOPE": ["profile", "email"], **_social_app("google")},
    "facebook": {"SCOPE": ["email", "public_profile"], **_social_app("facebook")},
}

# Single sign-on (sso/): the DNS server that Verify and the daily check ask for a
# domain's TXT record, as host or host:port (blank: the system's resolver), and how many
# seconds one lookup may take.
SSO_DNS_NAMESERVER = env("SSO_DNS_NAMESERVER")
SSO_DNS_TIMEOUT = float(envint("SSO_DNS_TIMEOUT", 5))
# Seconds the portal waits for an identity provider's discovery document.
SSO_HTTP_TIMEOUT = float(envint("SSO_HTTP_TIMEOUT", 10))

# Email
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
# Seconds one SMTP operation may take: keeps a send well inside the outbox's claim
# (outbox/delivery.py LEASE), so a hung server never lets a second worker send too.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The file-based backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend)
# writes each message into this directory; the Celery integration test reads them there.
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH") or None

# "Leave Feedback" (the header): every message is kept for staff in Django admin and,
# when this is set, e-mailed to this address.
FEEDBACK_EMAIL = env("FEEDBACK_EMAIL")

# Business account invitations: how long an emailed "Join account" link stays valid.
INVITATION_TTL_DAYS = envint("INVITATION_TTL_DAYS", 7)

# Celery: eager (in-process) when no broker is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
# The zero-setup `make run` (scripts/run.sh) needs no broker server: with
# CELERY_BROKER_URL=filesystem:// the broker is kombu's filesystem transport, messages
# being files in CELERY_BROKER_DIR that the web server, the worker and beat share.
CELERY_BROKER_DIR = env("CELERY_BROKER_DIR", str(BASE_DIR / ".run" / "broker"))
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# The outbox's sweep hands out an e-mail that nothing has sent this many seconds after
# it was written (its own task normally sends it at once; outbox/delivery.py).
OUTBOX_SWEEP_AFTER = envint("OUTBOX_SWEEP_AFTER", 120)
# Where tasks go unless routed elsewhere; a worker consumes it with `-Q`.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Webhook deliveries wait on other people's servers: they go to a queue of their own,
# consumed by a worker pool of their own (docker-compose's `worker-webhooks`), so a slow
# receiver never holds a worker that sends e-mail or runs reports.
WEBHOOKS_QUEUE = env("WEBHOOKS_QUEUE", "webhooks")
CELERY_TASK_ROUTES = {"webhooks.tasks.delivery_send_task": {"queue": WEBHOOKS_QUEUE}}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that does not answer must not hold a request for long: publishing (after
# commit, outbox/tasks.py) gives up after REDIS_TIMEOUT, logs, and leaves the e-mail (or
# webhook delivery) to its sweep. Without socket_timeout a publish to a frozen Redis
# waited for ever. One try, to connect (max_retries; kombu tried again for 4 s) and to
# publish (no publish retry): each try would wait REDIS_TIMEOUT again, and a connection
# that Redis closed (a restart) is opened again by redis-py without them. The worker
# keeps its own patient reconnection (CELERY_BROKER_CONNECTION_MAX_RETRIES).
CELERY_BROKER_TRANSPORT_OPTIONS = {**REDIS_SOCKET_OPTIONS, "max_retries": 0}
CELERY_TASK_PUBLISH_RETRY = False
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(Path(CELERY_BROKER_DIR) / "queue"),
        "data_folder_out": str(Path(CELERY_BROKER_DIR) / "queue"),
        "control_folder": str(Path(CELERY_BROKER_DIR) / "control"),
        # How often an idle worker looks for new message files (seconds).
        "polling_interval": 0.5,
    }
    for _folder in ("data_folder_in", "control_folder"):
        Path(CELERY_BROKER_TRANSPORT_OPTIONS[_folder]).mkdir(parents=True, exist_ok=True)
# Periodic jobs (Celery beat) are all declared here, in one place.
CELERY_BEAT_SCHEDULE: dict = {
    # Send what the outbox holds that nothing has sent by its time: e-mails written
    # while the broker was down, retries that could not be scheduled (outbox/tasks.py).
    "outbox-sweep": {
        "task": "outbox.tasks.email_sweep_task",
        "schedule": float(envint("OUTBOX_SWEEP_INTERVAL", 60)),
    },
    # Weekly usage reports of the week that just ended (reports/tasks.py).
    "reports-weekly-usage": {
        "task": "reports.tasks.weekly_reports_task",
        "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
    },
    # 30/7/1-day notices before subscriptions and sublicenses end.
    "reports-expiry-notices": {
        "task": "reports.tasks.expiry_notices_task",
        "schedule": crontab(minute=0, hour=7),
    },
    # Webhooks (webhooks/tasks.py): new audit entries become deliveries, and due
    # deliveries (new, retried, redelivered) go to workers, one task each.
    "webhooks-sweep": {
        "task": "webhooks.tasks.webhooks_sweep_task",
        "schedule": timedelta(seconds=envint("WEBHOOKS_SWEEP_SECONDS", 5)),
    },
    # Events no audit entry records: ending, expired, silent, over or within the limit.
    "webhooks-conditions": {
        "task": "webhooks.tasks.webhooks_conditions_task",
        "schedule": crontab(minute="*/5"),
    },
    # Forget webhook events (and their delivery logs) past their retention.
    "webhooks-purge": {
        "task": "webhooks.tasks.webhooks_purge_task",
        "schedule": crontab(minute=45, hour=3),
    },
    # Re-read every verified SSO domain's TXT record (sso/tasks.py): a domain whose
    # record is gone stops routing sign-ins and its administrators are e-mailed.
    "sso-domains-recheck": {
        "task": "sso.tasks.sso_domains_recheck_task",
        "schedule": crontab(minute=15, hour=4),
    },
    # Forget the nonces of expired licensing messages (licensing/tasks.py).
    "licensing-nonce-purge": {
        "task": "licensing.tasks.used_nonce_purge_task",
        "schedule": crontab(minute=30, hour=3),
    },
}

# Static files
STATIC_URL = "/static/"
# Where collectstatic puts the files whitenoise serves (the image builds them in).
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
# Support tickets' attachments (support/attachments.py): at most this many files of at
# most this size per message, kept under MEDIA_ROOT and served only through a view that
# checks who may see the ticket.
SUPPORT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
SUPPORT_ATTACHMENTS_PER_MESSAGE = 5

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The portal speaks these languages (docs/i18n.md): the browser's choice on a first
# visit (LocaleMiddleware), the footer's selector after that, and a user's Personal
# Profile language on every device once set (myaccount.middleware.UserLocaleMiddleware).
# Catalogs live in locale/, each following its glossary in locale/glossary/.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("ja", "日本語"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "myaccount_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Dates follow the active locale's formats (Django's localization): every page, report,
# export of words and e-mail uses SHORT_DATE_FORMAT (en-us: 11/30/2026) or
# SHORT_DATETIME_FORMAT, never a format written into a template. Times have one format
# per language (myaccount/formats/: en 8:20 AM, de 08:20), in the reader's time zone.
FORMAT_MODULE_PATH = ["myaccount.formats"]

# REST API
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only; a body nested too deep is a 400 like other bad JSON (core/api_errors.py).
    "DEFAULT_PARSER_CLASSES": ["core.api_errors.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        # The licensing API (licensing/api.py): per client address and per key/installation.
        "licensing_ip": env("LICENSING_THROTTLE_IP", "300/min"),
        "licensing_key": env("LICENSING_THROTTLE_KEY", "20/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Licensing protocol for proxy servers and the administrators' REST API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets shared by several API components get one name (api/serializers.py).
    "ENUM_NAME_OVERRIDES": {
        "SubscriptionStatusEnum": "api.serializers.SUBSCRIPTION_STATUSES",
        "SublicenseTypeEnum": "api.serializers.SUBLICENSE_TYPES",
        "WebhookMemberStatusEnum": "webhooks.serializers.MEMBER_STATUSES",
        "WebhookDeliveryStatusEnum": "webhooks.serializers.DELIVERY_STATUSES",
        "ProxyServerStatusEnum": "webhooks.serializers.PROXY_STATUSES",
        "ActivationMethodEnum": "webhooks.serializers.ACTIVATION_METHODS",
        "TicketStatusEnum": "api.tickets.TICKET_STATUSES",
        "TicketStatusFilterEnum": "api.tickets.TICKET_STATUS_FILTERS",
        "TicketCategoryEnum": "api.tickets.TICKET_CATEGORIES",
    },
}

# Licensing: Ed25519 signing keys. LICENSING_SIGNING_KEYS is a comma-separated list of
# kid=PEM-path (or kid=PEM value with literal \n); the last one signs, all verify.
LICENSING_SIGNING_KEYS = env("LICENSING_SIGNING_KEYS")
LICENSING_DEV_KEY_DIR = Path(env("LICENSING_DEV_KEY_DIR", str(BASE_DIR / ".dev")))
LICENSING_REFRESH_INTERVAL = timedelta(hours=envint("LICENSING_REFRESH_HOURS", 24))
# A development signing key is generated on first use only where allowed: by default only
# when DEBUG is on (read here, from the environment, so the test runner's DEBUG=False
# does not change it). Production must configure LICENSING_SIGNING_KEYS.
LICENSING_DEV_KEY_ALLOWED = envbool("LICENSING_DEV_KEY_ALLOWED", DEBUG)
# Largest request file the Offline Activation and Validation page accepts.
LICENSING_OFFLINE_MAX_UPLOAD = envint("LICENSING_OFFLINE_MAX_UPLOAD", 64 * 1024)

# Webhooks: where deliveries may go (webhooks/network.py). Development (DEBUG) also
# allows http:// and loopback receivers; production never does. An on-premises
# installation whose receivers live on its private network lists those ranges
# (CIDR, comma-separated); cloud metadata addresses are refused whatever is listed.
WEBHOOKS_ALLOW_INSECURE = envbool("WEBHOOKS_ALLOW_INSECURE", DEBUG)
WEBHOOKS_ALLOWED_NETWORKS = envlist("WEBHOOKS_ALLOWED_NETWORKS")
# A delivery's whole exchange (connect, TLS, request, answer) ends within this many
# seconds, then its socket is closed; a 2xx answer within it counts as delivered.
WEBHOOKS_TIMEOUT_SECONDS = envint("WEBHOOKS_TIMEOUT_SECONDS", 10)
# How long events and their delivery logs are kept (those still being retried stay).
WEBHOOKS_RETENTION_DAYS = envint("WEBHOOKS_RETENTION_DAYS", 30)

# Security: HTTPS everywhere once DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles come only from our own static
# files, never inline, so injected markup cannot run or restyle a page. No form-action:
# Chrome applies it to the redirect after a social sign-in POST (to Google or Facebook).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
