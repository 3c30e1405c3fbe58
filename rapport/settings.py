"""Rapport settings, read from the environment.

Every setting a deployment changes comes from an environment variable through the small typed
helpers below; nothing else in the code base reads the environment.
"""

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "rapport-insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
DATA_DIR = Path(env_str("RAPPORT_DATA_DIR", str(PROJECT_DIR / "var")))
COMPANY_NAME = env_str("RAPPORT_COMPANY_NAME", "瑞泰汽车服务有限公司")
SITE_URL = env_str("RAPPORT_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "rapport.core",
    "rapport.staff",
    "rapport.notifications",
    "rapport.customers",
    "rapport.interactions",
    "rapport.knowledge",
    "rapport.assist",
    "rapport.sla",
    "rapport.tickets",
    "rapport.care",
    "rapport.appointments",
    "rapport.surveys",
    "rapport.analytics",
    "rapport.web",
    "rapport.api",
    "rapport.demo",
    # Last: where another app translates the same words, its translation wins (first listed).
    "rapport.channels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "rapport.core.middleware.RetryAfterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rapport.core.middleware.FormCharsetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rapport.core.middleware.ChineseFirstLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"
AUTH_USER_MODEL = "staff.User"
# Django's model backend and database sessions, each reading its row with a statement compiled
# once per process (rapport.staff.backends, rapport.core.sessions). Sessions signed in under
# Django's own backend name before this setting sign in again once.
AUTHENTICATION_BACKENDS = ["rapport.staff.backends.StaffBackend"]
SESSION_ENGINE = "rapport.core.sessions"
# Inputs, text areas and selects rendered in Python, as their templates render them.
FORM_RENDERER = "rapport.core.form_renderer.FormRenderer"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "rapport.web.context_processors.layout",
            ],
            # {% url %} reversing through a per-process memo (rapport.core.urls).
            "builtins": ["rapport.core.templatetags.fast_url"],
        },
    }
]


def _database() -> dict:
    url = env_str("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
        config["CONN_HEALTH_CHECKS"] = True
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("SQLITE_PATH", str(DATA_DIR / "rapport.sqlite3")),
        "OPTIONS": {
            # Writers queue instead of failing with "database is locked"; IMMEDIATE takes the write
            # lock at BEGIN so two transactions never deadlock upgrading a read lock.
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-64000;"
                "PRAGMA temp_store=MEMORY;"
            ),
        },
        "TEST": {"NAME": None},
        # Kept open across requests: reopening (and re-running the PRAGMAs) on every request
        # cost as much as an API read itself (issue 16: 11.0 → 6.4 ms CPU per read).
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if env_str("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "CN")

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
with contextlib.suppress(OSError):  # whitenoise warns on each request when it is missing
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "rapport.core.storage.StaticStorage",
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", False)


def _mailer() -> dict:
    """The site-wide mailer: SMTP when EMAIL_HOST is set, else EMAIL_BACKEND (console)."""
    host = env_str("EMAIL_HOST")
    if not host:
        return {
            "BACKEND": env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
        }
    security = env_str("EMAIL_SECURITY", "ssl").lower()  # ssl (465) | starttls (587) | none
    return {
        "BACKEND": env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": host,
            "port": env_int("EMAIL_PORT", {"ssl": 465, "starttls": 587}.get(security, 25)),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_ssl": security == "ssl",
            "use_tls": security == "starttls",
            "timeout": env_int("EMAIL_TIMEOUT", 20),
        },
    }


MAILERS = {"default": _mailer()}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "service@rapport.example")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
X_FRAME_OPTIONS = "DENY"
# Addresses or networks of the reverse proxies in front of Rapport. Only requests arriving from
# one of these have their X-Forwarded-For believed (rapport.core.addresses.client_ip).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS in production (see README, "Production settings"): redirect plain HTTP, tell browsers
# to use HTTPS only (HSTS), and, behind a proxy that ends TLS, which header says the request
# came over HTTPS (e.g. "HTTP_X_FORWARDED_PROTO,https").
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = (
    tuple(env_list("SECURE_PROXY_SSL_HEADER")[:2]) if env_str("SECURE_PROXY_SSL_HEADER") else None
)
# Content-Security-Policy on every response: scripts only from our own static files (no inline
# script or event handler anywhere; rapport/web/tests/test_csp.py keeps it so), no plugins, no
# framing. Inline style attributes stay allowed: templates and htmx's indicator use them, and
# a style cannot run code.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Rapport's own knobs.
# Signing in (rapport.staff.signin): failures allowed per account and per address within the
# lockout window, and password checks one process runs at once.
RAPPORT_LOGIN_FAILURES_PER_ACCOUNT = env_int("RAPPORT_LOGIN_FAILURES_PER_ACCOUNT", 10)
RAPPORT_LOGIN_FAILURES_PER_ADDRESS = env_int("RAPPORT_LOGIN_FAILURES_PER_ADDRESS", 50)
RAPPORT_LOGIN_LOCKOUT_MINUTES = env_int("RAPPORT_LOGIN_LOCKOUT_MINUTES", 15)
RAPPORT_LOGIN_CONCURRENCY = env_int("RAPPORT_LOGIN_CONCURRENCY", 1)
RAPPORT_PAGE_SIZE = env_int("RAPPORT_PAGE_SIZE", 25)
# A vehicle's mileage estimate before its own readings span two weeks (customers.mileage).
RAPPORT_DEFAULT_KM_PER_DAY = env_int("RAPPORT_DEFAULT_KM_PER_DAY", 40)
# Set by `rapport demo` for its worker: customers keep writing to the demo mailbox.
RAPPORT_DEMO_LIVE = env_bool("RAPPORT_DEMO_LIVE", False)
RAPPORT_API_PAGE_SIZE_MAX = env_int("RAPPORT_API_PAGE_SIZE_MAX", 200)
# Set by `make bench` for the server it measures: /bench/bare/, an authenticated view that does
# nothing, so the HTTP table has the ceiling of this stack beside the real pages (issue 16).
RAPPORT_BENCH_BARE_VIEW = env_bool("RAPPORT_BENCH_BARE_VIEW", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {"django_tasks_db": {"level": "INFO"}},
}

# Satisfaction surveys: defaults for the administrator's SurveySettings row.
RAPPORT_SURVEY_LINK_VALID_DAYS = env_int("RAPPORT_SURVEY_LINK_VALID_DAYS", 14)
RAPPORT_SURVEY_FATIGUE_DAYS = env_int("RAPPORT_SURVEY_FATIGUE_DAYS", 30)
RAPPORT_SURVEY_LOW_CSAT = env_int("RAPPORT_SURVEY_LOW_CSAT", 2)
RAPPORT_SURVEY_LOW_NPS = env_int("RAPPORT_SURVEY_LOW_NPS", 6)

# Service levels: minutes an unacknowledged alert waits before going up a level (assignee →
# supervisor → service manager), and how soon after a customer message a pause is flagged.
RAPPORT_SLA_ESCALATION_MINUTES = [
    int(m) for m in env_list("RAPPORT_SLA_ESCALATION_MINUTES", "30,60")
]
RAPPORT_SLA_PAUSE_FLAG_MINUTES = env_int("RAPPORT_SLA_PAUSE_FLAG_MINUTES", 10)

# Background tasks: one RUNNING longer than this lost its worker and is run again
# (rapport.core.task_leases); every task finishes well within it.
RAPPORT_TASK_LEASE_SECONDS = env_int("RAPPORT_TASK_LEASE_SECONDS", 300)

# Channels: the key that encrypts mailbox passwords at rest (SECRET_KEY when unset; changing it
# means entering the passwords again), and how long a worker holds a message it is sending.
RAPPORT_CHANNEL_KEY = env_str("RAPPORT_CHANNEL_KEY")
RAPPORT_OUTBOX_LEASE_SECONDS = env_int("RAPPORT_OUTBOX_LEASE_SECONDS", 120)
