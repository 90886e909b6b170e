"""Settings for Advocacy Desk, read from the environment (12-factor).

With nothing set, the desk runs on a laptop: SQLite and the Celery queue under ``var/``,
mail written to files under ``var/mail/``. Production sets ``DATABASE_URL`` (PostgreSQL),
``REDIS_URL`` (Celery broker and cache), ``SECRET_KEY``, ``DEBUG=0``, ``ALLOWED_HOSTS``
and ``SITE_URL``; see README.md for the full list.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "advocacy.apps.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_ratelimit",
    "cases",
    "feedback",
    "nps",
    "advocacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cases.middleware.StaffLanguageMiddleware",  # after auth: the user's saved language
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "advocacy.urls"
WSGI_APPLICATION = "advocacy.wsgi.application"

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
                "advocacy.context_processors.navigation",
            ],
        },
    },
]

# Django's model backend, reading each request's user with their staff groups in one query.
AUTHENTICATION_BACKENDS = ["cases.backends.StaffBackend"]

# Form widgets render through Jinja2 with Django's own widget templates: the same HTML, a
# few times faster than Django's template language (the case page renders thirty widgets).
FORM_RENDERER = "django.forms.renderers.Jinja2"

# Database: PostgreSQL in production, a SQLite file under var/ by default. Web, worker and
# beat write to that one file at once, so SQLite runs in WAL mode (readers never block the
# writer), takes its write lock when a transaction begins (IMMEDIATE, so a read-then-write
# transaction cannot deadlock into "database is locked") and waits for the lock.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'advocacy.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so that a real worker started by a test sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    # PostgreSQL's JIT compiles any query its planner thinks costly, for hundreds of
    # milliseconds each time: measured on the risk rules at 1M orders, 1.5 s of JIT for a
    # 0.2 s query. The desk's queries are short and indexed; compiling never pays.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "advocacy",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Rate limits (login now; public NPS pages later) count in Redis when there is one. Without
# it, the laptop default has one web process, so its local memory is the shared counter.
CACHES["ratelimit"] = (
    {**CACHES["default"], "KEY_PREFIX": "ratelimit"}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
)
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_VIEW = "advocacy.views.rate_limited"
# Behind a proxy that sets X-Forwarded-For, name the header here (e.g. HTTP_X_FORWARDED_FOR).
RATELIMIT_IP_META_KEY = os.environ.get("RATELIMIT_IP_META_KEY") or None
LOGIN_RATE = os.environ.get("LOGIN_RATE", "10/m")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:queue"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("it", _("Italian")),
    ("nb", _("Norwegian Bokmål")),
    ("ro", _("Romanian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["advocacy.formats"]  # how each language writes a date
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: SMTP when EMAIL_HOST is set, else one file per message under var/mail/.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Advocacy Desk <desk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: production (DEBUG off) gets HTTPS-only cookies and HSTS; `check --deploy` is
# clean with DEBUG=0. SECURE_SSL_REDIRECT stays configurable for deployments behind a
# proxy that already redirects.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # Covering columns (INCLUDE) exist on PostgreSQL; SQLite builds the same index without.
    "models.W040",
    # Django's own RedisCache increments atomically; django-ratelimit only lists django-redis.
    "django_ratelimit.W001",
    # Without Redis: one local web process, whose memory counts (see CACHES["ratelimit"]).
    *([] if REDIS_URL else ["django_ratelimit.E003"]),
    # HSTS preload is a commitment for the whole domain: opt in with SECURE_HSTS_PRELOAD=1.
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]

# Celery. With REDIS_URL, Redis is the broker; without it, kombu's filesystem transport
# keeps the queue as files under var/celery/, so `make run` starts a real worker and beat
# with no server to install. The broker only carries nudges: pending work lives in the
# database and the sweeper (cases.tasks.sweep_pending_work) re-enqueues what waits too long.
CELERY_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    for folder in ("queue", "processed", "control"):
        (CELERY_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "control_folder": str(CELERY_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE

# Work waiting longer than this (seconds) is re-enqueued by the sweeper, which runs every
# SWEEP_INTERVAL seconds; a running job silent for RUNNING_WORK_TIMEOUT is taken as lost.
PENDING_WORK_STALE_AFTER = env_int("PENDING_WORK_STALE_AFTER", 120)
RUNNING_WORK_TIMEOUT = env_int("RUNNING_WORK_TIMEOUT", 900)
SWEEP_INTERVAL = env_int("SWEEP_INTERVAL", 60)
# Proactive risk checks: beat runs every enabled rule this often (seconds).
RISK_CHECK_INTERVAL = env_int("RISK_CHECK_INTERVAL", 300)
# Runs in between re-check only the orders changed since the previous run (from this many
# seconds earlier, for application and database clocks that disagree); a full run at least
# every RISK_FULL_RUN_INTERVAL seconds.
RISK_RECHECK_MARGIN = env_int("RISK_RECHECK_MARGIN", 5)
RISK_FULL_RUN_INTERVAL = env_int("RISK_FULL_RUN_INTERVAL", 3600)

# Uploaded files (feedback imports) wait here for a worker: web and worker must share it.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# Intake limits.
ORDER_BATCH_LIMIT = 1000
FEEDBACK_UPLOAD_MAX_BYTES = env_int("FEEDBACK_UPLOAD_MAX_BYTES", 200 * 1024 * 1024)
# The languages feedback is catalogued in (detection is limited to them).
FEEDBACK_LANGUAGES = ["en", "it", "nb", "ro"]
# Customer needs are ranked over this many days (against the days before), refreshed by beat.
NEEDS_PERIOD_DAYS = env_int("NEEDS_PERIOD_DAYS", 90)
NEEDS_REFRESH_INTERVAL = env_int("NEEDS_REFRESH_INTERVAL", 3600)
# The analysis page's counts by day are rebuilt this often (seconds), and after imports;
# items stored since are counted as the page is read.
ANALYSIS_REFRESH_INTERVAL = env_int("ANALYSIS_REFRESH_INTERVAL", 3600)
# Feed sources are pulled this often (seconds); a pull waits at most FEED_TIMEOUT seconds.
FEED_PULL_INTERVAL = env_int("FEED_PULL_INTERVAL", 900)
FEED_TIMEOUT = env_int("FEED_TIMEOUT", 20)
# NPS (surveys by emailed link). Each part adds its settings below this line.
NPS_CREATE_INTERVAL = env_int("NPS_CREATE_INTERVAL", 900)  # beat: new invitations (seconds)
# Sending: beat hands out pending invitations (and due reminders) every NPS_DISPATCH_INTERVAL
# seconds, at most each survey's "emails per minute" in any minute, to tasks of
# NPS_SEND_BATCH emails that share one SMTP connection. An order is asked about from its
# survey's delay after delivery until NPS_DELIVERY_WINDOW_DAYS later (a customer asked
# recently by another survey is skipped, not asked weeks late).
NPS_DISPATCH_INTERVAL = env_int("NPS_DISPATCH_INTERVAL", 15)
NPS_SEND_BATCH = env_int("NPS_SEND_BATCH", 50)
NPS_DELIVERY_WINDOW_DAYS = env_int("NPS_DELIVERY_WINDOW_DAYS", 7)
# The public answer pages (answer, thank-you, unsubscribe): requests per IP address. Mail
# providers send RFC 8058 one-click unsubscribes from a few addresses of their own: those
# POSTs count apart, with a higher limit, so a campaign's unsubscribes are not refused.
NPS_ANSWER_RATE = os.environ.get("NPS_ANSWER_RATE", "30/m")
NPS_ONE_CLICK_RATE = os.environ.get("NPS_ONE_CLICK_RATE", "600/m")
# Brand advocates: a care gap opens after this many days without a care action; beat raises
# their open cases to the top priority this often (seconds).
NPS_CARE_GAP_DAYS = env_int("NPS_CARE_GAP_DAYS", 90)
NPS_ADVOCATE_CASES_INTERVAL = env_int("NPS_ADVOCATE_CASES_INTERVAL", 300)
# Reports: the trend's months; a month needs NPS_TREND_MIN_RESPONSES answers (and so does
# the month before) before a fall below the previous interval is flagged as a drop; comments
# per page. Beat recounts the response-rate tallies every NPS_TALLY_INTERVAL seconds.
NPS_TREND_MONTHS = env_int("NPS_TREND_MONTHS", 12)
NPS_TREND_MIN_RESPONSES = env_int("NPS_TREND_MIN_RESPONSES", 30)
NPS_COMMENTS_PER_PAGE = env_int("NPS_COMMENTS_PER_PAGE", 20)
NPS_TALLY_INTERVAL = env_int("NPS_TALLY_INTERVAL", 300)
# The maturity dashboard: beat re-evaluates the model and stores this month's snapshot
# every MATURITY_REFRESH_MINUTES minutes (the page reads the stored evaluation).
MATURITY_REFRESH_MINUTES = env_int("MATURITY_REFRESH_MINUTES", 10)
# The KPI dashboard keeps a period's figures in the cache this long (0: no cache); beat
# computes the preset periods for all customers every KPI_WARM_SECONDS, ahead of managers.
KPI_CACHE_SECONDS = env_int("KPI_CACHE_SECONDS", 300)
KPI_WARM_SECONDS = env_int("KPI_WARM_SECONDS", 240)

ORDER_CSV_MAX_BYTES = env_int("ORDER_CSV_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
