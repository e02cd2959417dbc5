"""Settings for every environment. Every knob comes from the environment, with a working default
for the embedded mode (SQLite file, Celery eager, local-memory cache, console e-mail)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = (
    os.environ.get("SECRET_KEY") or "embedded-development-key-not-for-production-use-0123456789"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "guardian",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    # the core
    "covenant.nations",
    "covenant.accounts",
    "covenant.access",
    "covenant.audit",
    "covenant.ledger",
    "covenant.outbox",
    "covenant.caching",
    "covenant.api",
    "covenant.pages",
    # the six sectors, on their shared base
    "sectors.core",
    "sectors.agriculture",
    "sectors.minerals",
    "sectors.energy",
    "sectors.technology",
    "sectors.health",
    "sectors.education",
    # councils, proposals and votes
    "governance",
    # data-subject requests, exports, erasure, retention
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "covenant.api.fastpath.PublicReadCacheMiddleware",  # public reads: see its docstring
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "covenant.access.middleware.PrivilegedMFAMiddleware",
    "covenant.nations.middleware.AdminNationScopeMiddleware",
    "covenant.pages.middleware.ContentSecurityPolicyMiddleware",
    "covenant.guards.RequestGuardMiddleware",  # innermost: its refusals keep every header
]

ROOT_URLCONF = "covenant.urls"
WSGI_APPLICATION = "covenant.wsgi.application"
ASGI_APPLICATION = "covenant.asgi.application"

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
                "covenant.pages.context_processors.identity",
                "governance.context_processors.inbox",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    _default = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
else:
    _default = dj_database_url.parse(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")


def _tune(database: Any) -> Any:
    if database["ENGINE"] == "django.db.backends.postgresql":
        # psycopg 3's connection pool (Django >= 5.1); CONN_MAX_AGE must stay 0 with it.
        database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
            "timeout": 10,
        }
        database["CONN_MAX_AGE"] = 0
    elif database["ENGINE"] == "django.db.backends.sqlite3":
        # BEGIN IMMEDIATE: a write transaction takes the lock at its start, so two writers of the
        # audit chain cannot both read the same head.
        database.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    return database


DATABASES = {"default": _tune(_default)}
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    _replica = _tune(dj_database_url.parse(_url, conn_max_age=0))
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_index + 1}"] = _replica
DATABASE_ROUTERS = ["covenant.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ---------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_caches(url: str) -> dict[str, Any]:
    """The cache on Redis: an accelerator, never a dependency (a Redis that does not answer is
    a miss, and a write that is dropped; see covenant.caching)."""
    return {
        "default": {
            "BACKEND": "covenant.caching.backend.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "covenant"),
        }
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A broker that does not answer fails a send in seconds (the outbox keeps the job), never hangs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}

# --- Accounts -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "signup": "20/m/ip"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Covenant] "
LOGIN_REDIRECT_URL = "/me/"
LOGIN_URL = "/accounts/login/"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
# --- Identity and access (README "Identity and access") -----------------------------------------
ACCOUNT_LOGIN_BY_CODE_ENABLED = True  # "mail me a sign-in code"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Covenant portal"
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG  # http://127.0.0.1 in the embedded mode
ACCOUNT_ADAPTER = "covenant.access.adapter.CovenantAccountAdapter"
SOCIALACCOUNT_ADAPTER = "covenant.access.sso.NationSSOAdapter"
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never attach an SSO login to an account by e-mail
SOCIALACCOUNT_STORE_TOKENS = False
USERSESSIONS_TRACK_ACTIVITY = False  # no write per request
# API throttling (covenant.access.throttling): per key, token, signed-in user, address.
COVENANT_THROTTLE_RATES = {
    "key": os.environ.get("THROTTLE_KEY", "600/min"),
    "token": os.environ.get("THROTTLE_TOKEN", "600/min"),
    "user": os.environ.get("THROTTLE_USER", "1200/min"),
    "anon": os.environ.get("THROTTLE_ANON", "1200/min"),
}

# --- E-mail: EMAIL_URL = console: | file:///path | smtp://user:pass@host:port?tls=1 ------------
EMAIL_URL = os.environ.get("EMAIL_URL", "console:")
_email = urlparse(EMAIL_URL)
if _email.scheme == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif _email.scheme == "file":
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = _email.path or str(BASE_DIR / "media" / "mail")
elif _email.scheme == "locmem":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif _email.scheme in {"smtp", "smtps"}:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 25)
    EMAIL_HOST_USER = _email.username or ""
    EMAIL_HOST_PASSWORD = _email.password or ""
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = parse_qs(_email.query).get("tls", ["0"])[0] in {"1", "true"}
else:
    raise ValueError(f"EMAIL_URL scheme {_email.scheme!r} is not one of console, file, smtp, smtps")
# Where people reach the portal, for links in e-mails sent by jobs (which have no request).
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Covenant portal <no-reply@covenant.invalid>"
)

# --- Internationalisation, static, media --------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
# Links in e-mails (privacy requests): the portal's public address.
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000")

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "covenant.access.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "covenant.api.pagination.CovenantPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["covenant.api.parsers.CovenantJSONParser"],
    "EXCEPTION_HANDLER": "covenant.api.errors.covenant_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "covenant.api.schema.CovenantAutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_RATES": {"anon": "600/min", "user": "1200/min"},
    "DEFAULT_THROTTLE_CLASSES": ["covenant.access.throttling.CovenantThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Covenant portal API",
    "DESCRIPTION": "The Global Sovereign Covenant: nations, the covenant ledger, roles.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApiKeyStatusEnum": "covenant.access.models.ApiKeyStatus",
        "ProjectStatusEnum": "sectors.core.models.ProjectStatus",
        "RoleStatusEnum": "covenant.access.models.RoleStatus",
        "CouncilKindEnum": "governance.models.CouncilKind",
        "ProposalKindEnum": "governance.models.ProposalKind",
        "ProposalStatusEnum": "governance.models.ProposalStatus",
        "OutcomeEnum": "governance.models.Outcome",
        "NotificationKindEnum": "governance.models.NotificationKind",
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB: larger bodies get 413/400, never a 500

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# The covenant's contribution: 1 basis point of GDP a year.
COVENANT_CONTRIBUTION_RATE = "0.0001"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "covenant": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    },
}

CELERY_BEAT_SCHEDULE = {
    "drain-the-outbox": {"task": "covenant.outbox.drain", "schedule": 60.0},
    "purge-idempotency-records": {
        "task": "covenant.api.purge_idempotency_records",
        "schedule": crontab(hour=3, minute=15),
    },
    "verify-audit-chain-nightly": {
        "task": "covenant.audit.verify_chain",
        "schedule": crontab(hour=2, minute=30),
    },
    "privacy-deadline-reminders": {
        "task": "compliance.sweep_deadlines",
        "schedule": crontab(hour=6, minute=0),
    },
    "privacy-stuck-exports": {"task": "compliance.sweep_exports", "schedule": 300.0},
    "privacy-retention": {
        "task": "compliance.run_retention",
        "schedule": crontab(hour=3, minute=15),
    },
    "governance-schedule": {"task": "governance.tick", "schedule": 60.0},
    "open-the-year-with-its-pledges": {
        "task": "covenant.ledger.open_year",
        "schedule": crontab(month_of_year=1, day_of_month=1, hour=0, minute=5),
    },
}
