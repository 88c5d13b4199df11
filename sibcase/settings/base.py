"""Settings shared by every mode. Everything that differs between machines comes from the environment.

Modes are separate modules: ``production`` (the default for manage.py, wsgi and Celery), ``demo`` (the
README's run command) and ``test`` (pytest). Only demo and test may run without a secret key.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

from .caches import cache_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "axes",
    "csp",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "sibcase",
    "programs",
    "families",
    "outcomes",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sibcase.middleware.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor: OTPMiddleware tells whether the session passed it, OTPRequiredMiddleware sends a signed-in but
    # unverified session to the code (or enrolment) page for every page but sign-in's own (sibcase/otp.py).
    "django_otp.middleware.OTPMiddleware",
    "sibcase.otp.OTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "sibcase.middleware.PrivateCacheMiddleware",
    "sibcase.middleware.AbsoluteSessionLifetimeMiddleware",
    # django-axes wants to be last.
    "axes.middleware.AxesMiddleware",
]

# Uploaded files (the evaluators' sample evidence): outside the web root, never served as static or media URLs;
# only access-checked views read them.
MEDIA_ROOT = env.path("PRIVATE_FILES_ROOT", default=BASE_DIR / "private-files")

ROOT_URLCONF = "sibcase.urls"
WSGI_APPLICATION = "sibcase.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# No DATABASE_URL: the embedded default, an SQLite file in the project.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections (seconds; 0 = one per request), checked before reuse so a restarted database costs no error.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True)
# Services own their transactions (transaction.atomic); no ATOMIC_REQUESTS.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# API throttling counts and the fund overview's aggregates live in the cache: per process by default, shared through
# Redis in production (CACHE_URL). A Redis outage is logged and bypassed, never an error page (settings/caches.py).
CACHES = cache_settings(env("CACHE_URL", default="locmemcache://"))
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "sibcase.cache"

AUTH_USER_MODEL = "sibcase.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Two-factor sign-in (TOTP, django-otp): a password alone reaches no page with personal data. On in production and
# demo; switch off only for a development set-up that has no personal data.
SIBCASE_REQUIRE_OTP = env.bool("SIBCASE_REQUIRE_OTP", default=True)
# The issuer shown in authenticator apps next to the user name.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="sibcase")
# Wrong codes in a row lock a device for 1, 2, 4, … seconds (django-otp's exponential throttle).
OTP_TOTP_THROTTLE_FACTOR = 1
# API tokens: validity in days when created without --days, and the longest validity allowed.
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed-login throttling (django-axes), two counters with the same limit, each locking for 15 minutes: failures
# on one username from any address (guessing one account's password), and failures from one client address on any
# usernames (password spraying). The address is the client's as seen by our proxy (sibcase.middleware.client_ip).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_CLIENT_IP_CALLABLE = "sibcase.middleware.client_ip"
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none, REMOTE_ADDR is the client).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Sessions: idle timeout (renewed by SessionRenewalMiddleware at most once per SESSION_RENEW_SECONDS, so a page
# view does not write the session row; a session expires at most that much before, never after, the idle timeout),
# no persistence beyond the browser, cookies not readable by scripts; AbsoluteSessionLifetimeMiddleware also ends
# a session SESSION_COOKIE_AGE after sign-in however active.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_RENEW_SECONDS = env.int("SESSION_RENEW_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Celery. No broker configured: tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# At-least-once delivery: acknowledge after the task ran, one message per worker process at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Fail fast when Redis is down: the outbox (sibcase/outbox.py) keeps the message and relays it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def _cron(expression: str) -> crontab:
    minute, hour, day_of_month, month_of_year, day_of_week = expression.split()
    return crontab(
        minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
    )


# Payment runs: the previous year on 15 January, previews of the previous quarter on the 5th after a quarter.
PAYMENTS_ANNUAL_CRON = env("PAYMENTS_ANNUAL_CRON", default="0 3 15 1 *")
PAYMENTS_PREVIEW_CRON = env("PAYMENTS_PREVIEW_CRON", default="0 4 5 1,4,7,10 *")
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {"task": "sibcase.relay_outbox", "schedule": 60.0},
    # Stored API answers expire after 24 h and can hold personal data: deleted within the hour after (sibcase/api.py).
    "purge-request-keys": {"task": "sibcase.purge_request_keys", "schedule": 3600.0},
    "payments-annual": {"task": "payments.schedule_annual_runs", "schedule": _cron(PAYMENTS_ANNUAL_CRON)},
    "payments-preview": {"task": "payments.schedule_preview_runs", "schedule": _cron(PAYMENTS_PREVIEW_CRON)},
    # Payment runs whose worker died (lease expired) or whose message was lost are handed on (payments/services/runs.py).
    "payments-requeue-stuck": {"task": "payments.requeue_stuck_runs", "schedule": 30.0},
    # Families whose retention period has passed: listed daily for the admins (families/retention.py).
    "families-retention-due": {
        "task": "families.list_retention_due",
        "schedule": _cron(env("RETENTION_DUE_CRON", default="30 2 * * *")),
    },
    # Case tasks whose date simply arrives (a consent's anniversary, a child's birthday): made every night.
    "families-case-tasks": {"task": "families.tasks_sync_all", "schedule": _cron("45 2 * * *")},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# django-celery-beat's database scheduler, with a PostgreSQL lock (one beat acts at a time) and outage tolerance.
CELERY_BEAT_SCHEDULER = "sibcase.beat:LockedDatabaseScheduler"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The browser's session, only once it has passed the second factor (sibcase/otp.py).
        "sibcase.api_auth.VerifiedSessionAuthentication",
        # Hashed, expiring, revocable API tokens (sibcase.ApiToken) whose failures are throttled per address.
        "sibcase.api_auth.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "sibcase.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "sibcase.api.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "sibcase.throttling.AnonThrottle",
        "sibcase.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="30/minute"),
        "user": env("API_THROTTLE_USER", default="600/minute"),
        "failed_token": env("API_THROTTLE_FAILED_TOKEN", default="10/minute"),
        "identity_code_lookup": env("IDENTITY_CODE_LOOKUP_RATE", default="30/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
# Bulk import of outcome observations (register extracts): bigger files are refused with a 400.
OBSERVATION_IMPORT_MAX_ROWS = env.int("OBSERVATION_IMPORT_MAX_ROWS", default=100_000)
OBSERVATION_IMPORT_MAX_BYTES = env.int("OBSERVATION_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# JSON bodies up to the import's size (Django's default 2.5 MB would cut a large extract short).
DATA_UPLOAD_MAX_MEMORY_SIZE = OBSERVATION_IMPORT_MAX_BYTES
SPECTACULAR_SETTINGS = {
    "TITLE": "sibcase API",
    "DESCRIPTION": "Case management for the Lapset SIB programmes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package, served by us: no CDN, so the CSP stays 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sibcase.api.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ReferralSourceEnum": "families.models.ReferralSource",
        "ObservationSourceEnum": "outcomes.models.ObservationSource",
        "ExitReasonEnum": "families.models.ExitReason",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Key of the per-statement pseudonyms in evaluators' per-child detail (sibcase/pseudonym.py). Required: production
# refuses to start without it, demo and test set their own; never derived from SECRET_KEY.
PSEUDONYM_KEY = env("PSEUDONYM_KEY", default="")

SIBCASE = {
    # Records about services for families with children are kept 30 years after the case closes.
    "RETENTION_YEARS": 30,
    # The access log and the audit trail are kept this long after the row was written, and never deleted by the
    # app (its database role cannot delete them): at least as long as the records they describe can exist.
    "LOG_RETENTION_YEARS": 30,
    # Break-glass access to a family outside the own municipality lasts this many hours.
    "BREAK_GLASS_HOURS": env.int("BREAK_GLASS_HOURS", default=24),
    # The admins' report of unusual access (families/access_review.py): a user who sees this many distinct
    # families within ACCESS_REVIEW_WINDOW_MINUTES, or makes this many identity-code lookups in a day.
    "ACCESS_REVIEW_DISTINCT_FAMILIES": env.int("ACCESS_REVIEW_DISTINCT_FAMILIES", default=30),
    "ACCESS_REVIEW_WINDOW_MINUTES": env.int("ACCESS_REVIEW_WINDOW_MINUTES", default=60),
    "ACCESS_REVIEW_LOOKUPS_PER_DAY": env.int("ACCESS_REVIEW_LOOKUPS_PER_DAY", default=50),
    # Fund reports' projection: the savings rate per child-year so far, times these factors.
    # The fund overview's aggregates are recomputed at most this often (seconds; 0: every request).
    "FUND_REPORT_CACHE_SECONDS": env.int("FUND_REPORT_CACHE_SECONDS", default=300),
    # Whole-programme aggregates in the shared cache, superseded on every change (sibcase/aggregate_cache.py); this
    # only bounds how long an entry lives (seconds; 0: no caching).
    "AGGREGATE_CACHE_SECONDS": env.int("AGGREGATE_CACHE_SECONDS", default=3600),
    "PROJECTION_SCENARIOS": {"optimistic": Decimal("1.25"), "pessimistic": Decimal("0.50")},
    # A statement paying more than this (EUR) needs a second approver (four eyes on large payments).
    "PAYMENT_SECOND_APPROVAL_OVER": Decimal(env.str("PAYMENT_SECOND_APPROVAL_OVER", default="100000.00")),
    # The evaluator's verification sample: confidence level and margin of error (as UNICEF's HOPE does).
    "SAMPLE_CONFIDENCE": Decimal("0.95"),
    "SAMPLE_MARGIN": Decimal("0.05"),
}

# Municipal single sign-on through OpenID Connect (mozilla-django-oidc): off unless OIDC_RP_CLIENT_ID is set. The
# identity provider's groups claim maps to a role (OIDC_ROLE_MAP, JSON: {"group": "role"}); a user with no mapped
# group, or with groups mapping to two roles, is refused. The second factor is still asked unless the ID token's
# "amr" claim says the provider did multi-factor authentication (OIDC_TRUSTED_AMR). See sibcase/oidc.py.
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid email profile groups")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_USE_PKCE = True
OIDC_ROLE_MAP = env.json("OIDC_ROLE_MAP", default={})
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", default="groups")
OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM", default="preferred_username")
# The claim carrying the municipality code (e.g. "091"); a social worker's scope.
OIDC_MUNICIPALITY_CLAIM = env("OIDC_MUNICIPALITY_CLAIM", default="municipality")
OIDC_TRUSTED_AMR = env.list("OIDC_TRUSTED_AMR", default=["mfa", "otp"])
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("sibcase.oidc.RoleMappingOIDCBackend")
