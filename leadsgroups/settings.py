"""Settings for Leadsgroups, read from the environment (see README "Configuration")."""

from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from leadsgroups import log_format
from leadsgroups.beat import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("LEADSGROUPS_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# Without SECRET_KEY, management commands (migrate, makemigrations, check) still run; the web
# server and Celery refuse to start with this key unless DEBUG is on (leadsgroups/serving.py).
DEV_SECRET_KEY = "django-insecure-dev-only-secret-key-not-for-production-0123456789"  # check --deploy flags it
SECRET_KEY = env.str("SECRET_KEY", default="") or DEV_SECRET_KEY
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Forms posted from the site's own https address (SITE_URL) pass the CSRF origin check whatever Host
# the proxy forwards; list others (a second domain) in CSRF_TRUSTED_ORIGINS.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL] if SITE_URL.startswith("https://") else [])
ORGANISATION_NAME = env.str("ORGANISATION_NAME", default="Leadsgroups")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_htmx",
    "template_partials",
    "members",
    "chapters",
    "meetings",
    "referrals",
    "enforcement",
    "integrity",  # integrity flags: gamed activity found at night, reviewed by leadership
    "directory",  # the member directory: cards and photos, as each person shares them
    "reports",  # scorecards and chapter health, read from the apps above
    "home",  # the dashboard and navigation, composed from the apps above
    "scale",  # seed_scale and bench: an organisation at scale, and what it costs
    "ops",  # operations: the Background work page, task runs and alerts, the development outbox
    "webhooks",  # chapters' webhook endpoints and their deliveries (an outbox of signed HTTP requests)
    "portability",  # roster import, chapter export, a person's own data and account deletion, retention
    "ninja",  # django-ninja's templates and static files: the API docs page served without a CDN
    "api",  # the REST API (/api/v1/) and the personal access tokens it is used with
    "leadsgroups",  # the project's own commands: backup and restore
]

MIDDLEWARE = [
    "leadsgroups.health.HealthCheckMiddleware",  # first: /healthz for any Host, without the HTTPS redirect
    "leadsgroups.request_id.RequestIdMiddleware",  # then every later record carries the request's id
    "django.middleware.security.SecurityMiddleware",
    "leadsgroups.security_headers.SecurityHeadersMiddleware",  # CSP and Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the browser's (or the switcher cookie's) language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "leadsgroups.i18n.UserLanguageMiddleware",  # then a signed-in person's saved language wins
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "leadsgroups.db_router.ReplicaReportsMiddleware",  # last: it calls the report view itself
]

if env.str("LEADSGROUPS_CLOCK_FILE", default=""):
    MIDDLEWARE.insert(0, "leadsgroups.clock.ClockMiddleware")  # the system test's settable clock

ROOT_URLCONF = "leadsgroups.urls"
WSGI_APPLICATION = "leadsgroups.wsgi.application"
ASGI_APPLICATION = "leadsgroups.asgi.application"

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
                "django.template.context_processors.i18n",  # LANGUAGE_CODE for <html lang>
                "home.navigation.navigation",
            ],
            # {% translate %}, {% blocktranslate %} and the locale filters (|ldate, |money…) in every
            # template without a {% load %} line each.
            "builtins": ["django.templatetags.i18n", "leadsgroups.templatetags.formats"],
        },
    },
]

# Databases -------------------------------------------------------------------------------------
# Embedded default: SQLite in var/, tuned so web, worker and beat share it without
# "database is locked": WAL lets readers run beside one writer, the timeout waits for the
# writer instead of failing, and IMMEDIATE transactions take the write lock up front so two
# writers never deadlock upgrading a read lock.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# DATABASE_POOLER=pgbouncer: DATABASE_URL points at PgBouncer in transaction pooling (docker-compose.yml),
# where a server connection is this process's for one transaction only. No cursor may outlive it, so
# server-side cursors (.iterator()) are off. Django keeps its connection to PgBouncer between requests
# (CONN_MAX_AGE): that holds no server connection and saves a handshake per request. The app keeps no
# other session state (SET LOCAL and ON COMMIT DROP tables end with their transaction). Migrations and
# backups connect to PostgreSQL directly.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER == "pgbouncer" and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
elif DATABASE_POOLER:
    raise ImproperlyConfigured(f"DATABASE_POOLER={DATABASE_POOLER!r}: only 'pgbouncer', with a postgres:// DATABASE_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A PostgreSQL read replica for the report pages (leadsgroups/db_router.py; README "Scaling out"):
# with REPLICA_DATABASE_URL set, GET requests of these views read the domain's tables from it;
# writes, migrations, sessions and every other page stay on the primary.
REPLICA_REPORT_VIEWS = env.list(
    "REPLICA_REPORT_VIEWS",
    default=["meetings:report", "meetings:report-csv", "referrals:stats", "referrals:export",
             "reports:health", "reports:health-csv", "reports:scorecards-csv"],
)
REPLICA_READS = bool(env.str("REPLICA_DATABASE_URL", default=""))
if REPLICA_READS:
    DATABASES["replica"] = env.db("REPLICA_DATABASE_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"].get("CONN_MAX_AGE", 0))
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
if REPLICA_READS or env.bool("TESTING", default=False):
    # In tests the replica is the test database itself (a second connection to it), and replica
    # reads are off unless a test turns REPLICA_READS on (tests/test_db_router.py).
    DATABASES.setdefault("replica", {**DATABASES["default"]})["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["leadsgroups.db_router.ReplicaRouter"]

# Production needs one every process shares (sign-in rate limits count here): the web server and Celery
# refuse a per-process cache when DEBUG is off (leadsgroups/serving.py).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "leadsgroups.cache.RedisCache"  # one redis client per pool, not per call

# Accounts --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Leadsgroups] "  # not the host name, which is all allauth knows
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
}
# People join by invitation; open sign-up is for organisations that want it.
LEADSGROUPS_OPEN_SIGNUP = env.bool("LEADSGROUPS_OPEN_SIGNUP", default=False)
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)

# Email -----------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
# Development without EMAIL_URL: each email is kept in var/dev-outbox/, read at /dev/outbox/, and
# logged in one line (ops/dev_email.py).
DEV_OUTBOX_DIR = VAR_DIR / "dev-outbox"
if DEBUG and not env.str("EMAIL_URL", default=""):
    EMAIL_BACKEND = "ops.dev_email.DevOutboxBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Leadsgroups <noreply@leadsgroups.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery ----------------------------------------------------------------------------------------
# Embedded default: the filesystem transport, so a newcomer runs a real worker and beat with
# no broker to install. It loses a task whose worker is killed outright; every sweep re-derives
# its work from the database, so the next run repairs that.
# With a host name: kombu warns "No hostname was supplied" about a bare `filesystem://`.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_URL = "filesystem://localhost/"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        # Exchange bindings: in var/ too (kombu's default is ./control, in the source tree).
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
else:
    # A task whose whole worker died is redelivered after this. It must outlast the longest retry
    # countdown (10 min, held unacknowledged by the worker) plus the hard time limit (5 min), or a
    # waiting retry would be delivered twice; every task is idempotent, so 20 min is only the delay.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 20 * 60}
# Queues (README "Scaling out"): enforcement, email and scheduling each have a queue, so a flood
# of one (the nightly sweep's thousand chapters) never delays another (a password reset email),
# and each gets workers of its own in production. Everything else goes to the default queue.
# A single worker (development, tests) consumes them all: `-Q celery,enforcement,email,scheduling`.
WORKER_QUEUES = ["celery", "enforcement", "email", "scheduling"]
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    # Exact names first (Celery tries them before the patterns), then whole modules.
    "enforcement.tasks.reminder_email_send_task": {"queue": "email"},
    "enforcement.tasks.reminders_sweep": {"queue": "scheduling"},
    "enforcement.tasks.chapter_reminders_task": {"queue": "scheduling"},
    "members.tasks.retention_prune_task": {"queue": "celery"},
    "enforcement.tasks.*": {"queue": "enforcement"},
    "members.tasks.*": {"queue": "email"},  # the outbox
    "meetings.tasks.*": {"queue": "scheduling"},
}
# On RabbitMQ, RABBITMQ_QUORUM_QUEUES=1 declares every queue as a quorum queue (replicated on a
# cluster's nodes, so a node lost loses no task). A queue's type is fixed when first declared:
# switching an existing broker means deleting its classic queues once they are empty.
RABBITMQ_QUORUM_QUEUES = env.bool("RABBITMQ_QUORUM_QUEUES", default=False)
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name, queue_arguments={"x-queue-type": "quorum"} if RABBITMQ_QUORUM_QUEUES else None)
    for name in WORKER_QUEUES
]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged only once done ...
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # ... and requeued if its worker dies mid-run.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# What beat sends (leadsgroups/beat.py). BEAT_EVERY_SECONDS > 0 sends every entry at that interval
# instead of its real timing: for the system test and for watching the engine work in development.
BEAT_EVERY_SECONDS = env.int("BEAT_EVERY_SECONDS", default=0)
CELERY_BEAT_SCHEDULE = beat_schedule(every_seconds=BEAT_EVERY_SECONDS)

# I18N / time -----------------------------------------------------------------------------------
# English is the source language (its variants differ only in formats, leadsgroups/formats.py);
# German, French and Spanish have catalogues in locale/ (`make messages` updates them, the .mo files
# are compiled by `make install`/`make test`/`make run` and in the image). leadsgroups/i18n.py says
# whose language each page and email is in.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [
    ("en-gb", "English (UK)"),
    ("en-us", "English (US)"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
]  # each in its own language, as a switcher shows them (not translated)
TRANSLATED_LANGUAGES = ["de", "fr", "es"]  # the catalogues CI requires complete
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "lg_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: vendored assets in static/, served by WhiteNoise in production.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env.bool("TESTING", default=False)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded files: members' directory photos. Nothing under MEDIA_ROOT is served as a static file, in
# development or production: a photo goes out only through a view that checks the viewer shares a
# chapter with its owner (directory/views.py). In production MEDIA_ROOT must be storage every web
# process shares (a volume) and must not be exposed by the proxy.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never routed: see above
PROFILE_PHOTO_MAX_BYTES = env.int("PROFILE_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Security --------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (leadsgroups/security_headers.py; Django 6.0's setting shape): scripts and
# styles from our own static files only, no inline ones, here or in the Django admin. `data:` images
# are Pico's and the admin's SVG icons, written into their stylesheets.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# Powerful browser features the app never uses, refused to every origin (and to injected content).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "usb",
        "screen-wake-lock", "serial", "xr-spatial-tracking", "browsing-topics",
    )
}
# Production runs behind a TLS proxy (docker-compose.yml's Caddy, or nginx: README "Production") that
# sets X-Forwarded-Proto and X-Forwarded-For, replacing whatever the client sent. ALLAUTH_TRUSTED_PROXY_COUNT
# is how many such proxies stand in front: the client's address for the sign-in rate limits is that
# many entries from the end of X-Forwarded-For (without it every client shares the proxy's address).
# The same proxies tell Django the request came over HTTPS. Development (DEBUG) trusts no proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0 if DEBUG else 1)
if not DEBUG:
    if ALLAUTH_TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading puts the domain in browsers' built-in HTTPS-only lists, for every subdomain and for
    # months after it is withdrawn: the organisation opts in (SECURE_HSTS_PRELOAD=1), then submits it.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "not preloaded": a choice, not an oversight
    SECURE_SSL_HOST = env.str("SECURE_SSL_HOST", default=None)

# Logs and errors (README "Operations") ---------------------------------------------------------
# One line per record: JSON in production, short text in development (leadsgroups/log_format.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in log_format.FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(log_format.FORMATS)}, not {LOG_FORMAT!r}")
LOGGING = log_format.logging_config(
    fmt=LOG_FORMAT,
    level=env.str("LOG_LEVEL", default="INFO"),
    task_lines=env.bool("LOG_TASKS", default=not DEBUG),  # a line per task run; off in the development console
)
# Who is emailed when a beat task fails (at most once an hour per task): "Ann <ann@x.org>, bob@y.org".
ADMINS = [(name, address) for name, address in getaddresses(env.list("ADMINS", default=[])) if address]
# Error reporting to Sentry (or a compatible service), only when SENTRY_DSN is set.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from leadsgroups.error_reporting import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"),
                traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))
# Each run of a beat task is a row (the admin's Background work page); rows older than this are pruned.
TASK_RUN_RETENTION_DAYS = env.int("TASK_RUN_RETENTION_DAYS", default=30)

# Test runs (pytest sets TESTING=1): a fast hasher, no SSL redirect, locmem email.
TESTING = env.bool("TESTING", default=False)
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
    LANGUAGE_COOKIE_SECURE = False
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if env.str("EMAIL_FILE_PATH", default=""):
        # The system test's worker writes each email it sends to a file the test reads.
        EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")

STALE_REFERRAL_DAYS = env.int("STALE_REFERRAL_DAYS", default=14)
NOTIFICATION_EMAIL_RETRY_AFTER = timedelta(minutes=2)
# The email outbox (members/outbox.py): tries per email, the first wait (doubling each time:
# 1, 2, 4, 8, 16 minutes), and how long a worker's claim holds before a dead worker's row is taken
# over (longer than CELERY_TASK_TIME_LIMIT, so a live send is never taken from under it).
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
OUTBOX_RETRY_BASE = timedelta(seconds=env.int("OUTBOX_RETRY_BASE_SECONDS", default=60))
OUTBOX_CLAIM_TIMEOUT = timedelta(minutes=10)
# Retention (members/retention.py, a daily beat task): read notifications are deleted after
# NOTIFICATION_RETENTION_DAYS, unread ones after NOTIFICATION_UNREAD_RETENTION_DAYS (at least as
# long), sent emails after OUTBOX_SENT_RETENTION_DAYS; failed emails stay until resolved.
NOTIFICATION_RETENTION_DAYS = env.int("NOTIFICATION_RETENTION_DAYS", default=365)
NOTIFICATION_UNREAD_RETENTION_DAYS = env.int("NOTIFICATION_UNREAD_RETENTION_DAYS", default=730)
OUTBOX_SENT_RETENTION_DAYS = env.int("OUTBOX_SENT_RETENTION_DAYS", default=90)
# Retention of issue 15's data (portability/retention.py, a daily beat task): API tokens expired or revoked
# this long ago, webhook deliveries sent or failed this long ago, chapter export files (hours after they are
# ready), and the prospect's name, contact and notes of a referral closed (won, lost, declined) this long ago.
API_TOKEN_RETENTION_DAYS = env.int("API_TOKEN_RETENTION_DAYS", default=90)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)
CHAPTER_EXPORT_RETENTION_HOURS = env.int("CHAPTER_EXPORT_RETENTION_HOURS", default=72)
PROSPECT_DATA_RETENTION_DAYS = env.int("PROSPECT_DATA_RETENTION_DAYS", default=365)
# Webhooks (webhooks/delivery.py): tries per delivery, waits doubling from OUTBOX_RETRY_BASE as emails' do
# (1, 2, 4 … 64 minutes: about two hours in all), and how long one request may take.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_TIMEOUT = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
# Webhook endpoints' secrets are stored encrypted (webhooks/secret_box.py): Fernet keys, comma-separated; the
# first encrypts, all decrypt (a new key goes first; `manage.py webhook_secrets_rotate`, then drop the old one).
# Unset: a key derived from SECRET_KEY (and SECRET_KEY_FALLBACKS, which still decrypt).
WEBHOOK_SECRET_KEYS = env.list("WEBHOOK_SECRET_KEYS", default=[])
# Roster import (portability/roster_import.py): the largest file or pasted text, and the most lines.
ROSTER_IMPORT_MAX_BYTES = env.int("ROSTER_IMPORT_MAX_BYTES", default=256 * 1024)
ROSTER_IMPORT_MAX_ROWS = env.int("ROSTER_IMPORT_MAX_ROWS", default=500)
# An SMTP server that accepts the connection and then hangs must not hold a worker for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Rule enforcement: the local hour (chapter time) the day before a meeting when reminders go out,
# and how far back a run looks for meetings and quota periods not yet judged.
ENFORCEMENT_REMINDER_HOUR = env.int("ENFORCEMENT_REMINDER_HOUR", default=17)
ENFORCEMENT_LOOKBACK_DAYS = env.int("ENFORCEMENT_LOOKBACK_DAYS", default=183)
# REST API (api/): how many requests one personal access token may make per period ("120/m", "5000/h");
# beyond it the API answers 429 with Retry-After.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="120/m")
# `make bench` only: serves /bench/bare-auth/ (session and user, nothing else). Off in production.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)
