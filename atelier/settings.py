"""Settings, read from the environment in this one place (every variable is listed in README.md).

With nothing set, Atelier runs on its embedded default: SQLite in the project folder,
Celery tasks in process, e-mail to the console, media on local disk, the fake Stripe server.
"""
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    # Refuse to start rather than run production with a guessable key or any host.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to at least 50 random characters in production.")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production.")
    DEBUG = False
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-atelier-embedded-default-0123456789")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    DEBUG = env.bool("DJANGO_DEBUG", default=True)


def _networks(values: list[str]) -> list:
    import ipaddress

    try:
        return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error


# Proxies (addresses or networks) whose X-Forwarded-For is believed, e.g. "10.0.0.0/8,127.0.0.1"; empty: none,
# the client is the address the connection came from (atelier.requestcontext, and allauth's rate limits through
# testers.adapters).
TRUSTED_PROXIES = _networks(env.list("TRUSTED_PROXIES", default=[]))

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "atelier",
    "testers",
    "content_review",
    "payments",
    "portal",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "atelier.middleware.RefuseNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "atelier.middleware.AuthenticationMiddleware",
    "atelier.uploads.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "atelier.middleware.StaffTwoFactorMiddleware",
    "atelier.timezones.TimeZoneMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "atelier.wsgi.application"

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
                "atelier.context_processors.navigation",
                "atelier.context_processors.notifications",
            ],
            "builtins": ["atelier.templatetags.atelier"],
        },
    }
]
FORM_RENDERER = "atelier.forms.AtelierFormRenderer"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'atelier.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite waits for the writer instead of failing with "database is locked" while tasks run in process.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    # Off by default: a health check is one more round trip (SELECT 1) at the first query of every request. Without
    # it, a connection the database dropped (a restart, a failover) fails the one request that finds it, and Django
    # closes it at that request's end; CONN_MAX_AGE bounds every connection's age anyway.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "atelier.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail sign-in, mandatory verification, sign-up only through an invitation
# (testers.adapters.AccountAdapter.is_open_for_signup), rate limits on.
ACCOUNT_ADAPTER = "testers.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "atelier.account_views.SignupTimeZoneForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Atelier] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Atelier"
# Accept the code of the previous and next 30 s step too: phone clocks drift, and people type slowly.
MFA_TOTP_TOLERANCE = 1
# Paths that only staff may reach; they also require TOTP to be set up (atelier.middleware).
STAFF_PATH_PREFIXES = ("/staff/", "/admin/")

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://atelier")
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "atelier.cache.RedisCache"  # one Redis client per pool (atelier/cache.py)
#: Cache backends that live inside one process: with several web processes each would count login failures on
#: its own (allauth's rate limits are kept in the cache), so N workers would allow N times the limit.
PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")
if PRODUCTION and CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
    raise ImproperlyConfigured("CACHE_URL must point at a cache shared by every web process in production (e.g. "
                               "redis://redis:6379/1), so login rate limits hold across workers.")

# Sessions are read from the cache and written through to the database: one query fewer on every page, and a
# session survives a cache flush or eviction (the pure "cache" engine would sign everyone out). The signed-in
# person's user row, access and unread count are cached beside it (atelier.person_cache, docs/architecture.md).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Atelier <no-reply@atelier.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded files (works and their derived files in "private", feedback attachments in "default") go through
# Django's storage API only. Local disk is the embedded default; PRIVATE_STORAGE_BACKEND=s3 puts both in one
# S3-compatible bucket (django-storages), under the prefixes media/ and private/, so several web and worker
# machines share them. Neither has a public URL: views stream files after the permission check.
PRIVATE_STORAGE_BACKEND = env.str("PRIVATE_STORAGE_BACKEND", default="local")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
if PRIVATE_STORAGE_BACKEND not in ("local", "s3"):
    raise ImproperlyConfigured("PRIVATE_STORAGE_BACKEND must be local or s3.")
if PRIVATE_STORAGE_BACKEND == "s3" and not AWS_STORAGE_BUCKET_NAME:
    raise ImproperlyConfigured("PRIVATE_STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")


def s3_storage(backend: str, location: str, **options) -> dict:
    """One prefix of the bucket: objects stay private (no ACL is set, so the bucket's own applies); a name in
    use is never overwritten silently; a file read for processing or streaming spools to disk past 10 MB instead
    of filling memory; a signed URL, if one is ever made, lives 60 seconds."""
    return {"BACKEND": backend, "OPTIONS": {
        "bucket_name": AWS_STORAGE_BUCKET_NAME, "endpoint_url": AWS_S3_ENDPOINT_URL,
        "region_name": AWS_S3_REGION_NAME, "access_key": AWS_ACCESS_KEY_ID, "secret_key": AWS_SECRET_ACCESS_KEY,
        "location": location, "default_acl": None, "file_overwrite": False, "querystring_auth": True,
        "querystring_expire": 60, "max_memory_size": 10 * 1024 * 1024, **options,
    }}


if PRIVATE_STORAGE_BACKEND == "s3":
    FILE_STORAGES = {"default": s3_storage("storages.backends.s3.S3Storage", "media"),
                     "private": s3_storage("content_review.storage.PrivateS3Storage", "private")}
else:
    FILE_STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                     "private": {"BACKEND": "content_review.storage.PrivateMediaStorage"}}
STORAGES = {
    **FILE_STORAGES,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Form fields other than files (and request.body, e.g. a webhook): every text field is bounded well below this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_000
# Request bodies, refused before they are read (atelier.uploads): (path, largest body, largest single file,
# anonymous too?). Sizes in decimal MB, like the media limits. The proxy in front should refuse bodies over the
# largest of these (see README, production).
_MB = 1_000_000
_WORKS_BODY = 10 * 200 * _MB + _MB  # content_review: 10 works, a video is at most 200 MB
_WORK_FILE = {"image": 20 * _MB, "video": 200 * _MB, "": 200 * _MB}  # by declared type (atelier.media's limits)
REQUEST_BODY_LIMITS = [
    (r"^/programs/[^/]+/share-requests/new/$", _WORKS_BODY, _WORK_FILE, False),
    (r"^/share-requests/\d+/(edit|works)/$", _WORKS_BODY, _WORK_FILE, False),
    (r"^/feedback/new/$", 5 * 10 * _MB + _MB, 10 * _MB, False),  # testers: 5 images of 10 MB
    (r"^/staff/[^/]+/invitations/import/$", 2 * _MB, 1 * _MB, False),  # the CSV: 1 MB
    (r"^/stripe/webhook/$", 1 * _MB, 0, True),  # Stripe's events are a few kB
    # api: the same 5 images of 10 MB as the portal's form. No session signs these requests in ("anonymous too"),
    # and the body is parsed only after the token is checked (api.views.v1 bounds each file as it streams in).
    (r"^/api/v1/feedback/$", 5 * 10 * _MB + _MB, 0, True),
]
REQUEST_BODY_DEFAULT_LIMIT = 1 * _MB
ANONYMOUS_BODY_LIMIT = 64 * 1024  # sign-in, sign-up, password reset: a few fields

# Celery. Without a broker, tasks run in process right after the transaction commits.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "share-request-deadlines": {"task": "content_review.tasks.enforce_deadlines", "schedule": 300.0},
    "stipend-months": {"task": "payments.tasks.accrue_stipends", "schedule": 3600.0},
    "reconciliation": {"task": "payments.tasks.reconcile_recent", "schedule": 3600.0},
    # Notifications (docs/notifications.md): the daily digest, the reminder of terms about to take effect, and
    # the reviewers' warning of share requests near their deadline. Each is safe to run twice.
    "notification-digests": {"task": "atelier.tasks.send_notification_digests",
                             "schedule": crontab(hour=env.int("NOTIFICATION_DIGEST_HOUR", default=7), minute=0)},
    "terms-reminders": {"task": "testers.tasks.remind_terms", "schedule": 3600.0},
    # Clauses whose confidentiality ends on a day (docs/testers.md, "Confidentiality that ends"): once per clause.
    "clause-ends": {"task": "testers.tasks.end_clauses", "schedule": 3600.0},
    "share-request-deadline-warnings": {"task": "content_review.tasks.warn_near_deadlines", "schedule": 900.0},
}

# The REST API (api/): personal access tokens only, never the session cookie (so no CSRF to think about),
# JSON only (no browsable API, whose forms would ride on the session), throttled per token in the shared cache.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="60/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_token": API_RATE_LIMIT},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Atelier API",
    "DESCRIPTION": "Send feedback from inside the tool you test, follow it, and read what you may share. "
                   "Authenticate with a personal access token: `Authorization: Bearer atl_…` (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Stripe: the embedded default talks to the fake Stripe server (devtools/fake_stripe).
STRIPE_API_KEY = env.str("STRIPE_API_KEY", default="sk_test_atelier_fake")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="http://127.0.0.1:12111")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="whsec_atelier_fake")
STRIPE_LIVEMODE = env.bool("STRIPE_LIVEMODE", default=False)
STRIPE_TRANSFERS_PER_SECOND = env.float("STRIPE_TRANSFERS_PER_SECOND", default=20.0)
# Pacing of transfers is shared by all workers through Redis (payments/services/pacing.py): the broker's Redis
# unless PACING_REDIS_URL says otherwise; with no Redis at all (embedded: tasks in process), in memory.
PACING_REDIS_URL = env.str(
    "PACING_REDIS_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
PACING_KEY_PREFIX = env.str("PACING_KEY_PREFIX", default="atelier:pacing")
# `seed_demo` sends its past payout run to a throwaway server of this class (development tools only).
DEMO_STRIPE_SERVER = "devtools.fake_stripe.FakeStripe"

# Content security policy (django-csp): everything from our own origin, nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'", *([STRIPE_API_BASE] if not PRODUCTION else ["https://connect.stripe.com"])],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "stripe": {"level": "WARNING"}},
}

ADMIN_SITE_HEADER = "Atelier administration"

# Payouts (payments app, Stripe side): client timeout, our own retries, the idempotency window, webhooks.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=30.0)
STRIPE_MAX_ATTEMPTS = env.int("STRIPE_MAX_ATTEMPTS", default=5)
STRIPE_SEND_CONCURRENCY = env.int("STRIPE_SEND_CONCURRENCY", default=4)
STRIPE_RETRY_BACKOFF_SECONDS = env.float("STRIPE_RETRY_BACKOFF_SECONDS", default=0.5)
STRIPE_RESEND_WINDOW_HOURS = env.float("STRIPE_RESEND_WINDOW_HOURS", default=20.0)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
PAYOUT_RESUME_AFTER_SECONDS = env.float("PAYOUT_RESUME_AFTER_SECONDS", default=30.0)
# How long a worker owns a payout it is sending (renewed before each request): longer than one request can
# take, so a live worker never loses it; a killed worker's payouts are taken over once it expires.
PAYOUT_LEASE_SECONDS = env.float("PAYOUT_LEASE_SECONDS", default=STRIPE_TIMEOUT_SECONDS + 30.0)
CELERY_BEAT_SCHEDULE["payout-runs-resume"] = {"task": "payments.tasks.resume_payout_runs", "schedule": 60.0}
