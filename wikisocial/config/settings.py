"""Django settings. Operators change behaviour through environment variables (see env.py and
docs/operations.md), never by editing this file."""

from __future__ import annotations

from pathlib import Path

from wikisocial.api.scopes import ALL as OAUTH_SCOPES
from wikisocial.config import env

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env.data_dir()

DOMAIN = env.domain()
SCHEME = env.get("WIKISOCIAL_SCHEME") or ("http" if env.is_local_domain(DOMAIN) else "https")
SITE_URL = f"{SCHEME}://{DOMAIN}"

SECRET_KEY = env.secret_key(DATA_DIR)
DEBUG = env.get_bool("WIKISOCIAL_DEBUG")

_host = DOMAIN.split(":")[0]
ALLOWED_HOSTS = [_host, "localhost", "127.0.0.1", "[::1]"] + [
    h for h in env.get("WIKISOCIAL_ALLOWED_HOSTS").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "wikisocial.core",
    "wikisocial.instance",
    "wikisocial.accounts",
    "wikisocial.social",
    "wikisocial.posts",
    "wikisocial.communities",
    "wikisocial.wiki",
    "wikisocial.timelines",
    "wikisocial.filters",
    "wikisocial.streaming",
    "wikisocial.notifications",
    "wikisocial.federation",
    "wikisocial.moderation",
    "wikisocial.api",
    "wikisocial.web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "oauth2_provider",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First, so it compresses what every other middleware wrote (pages, JSON, and the CSS and
    # scripts WhiteNoise serves); Django pads each compressed body with random bytes against
    # BREACH, on top of the masked CSRF tokens.
    "wikisocial.core.middleware.TextGZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wikisocial.core.middleware.RequestSizeLimitMiddleware",
    # Signed POSTs to an inbox stop here and go to their view (nothing below applies to them).
    "wikisocial.core.middleware.SignedInboxMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wikisocial.accounts.middleware.CodeOfConductMiddleware",
]
# Operations (wikisocial/core/health.py, metrics.py, logs.py): /health, /ready and /metrics are
# answered before any other middleware runs; the access log and the latency histogram, when
# on, wrap everything else.
METRICS_ENABLED = env.get_bool("WIKISOCIAL_METRICS")
METRICS_TOKEN = env.get("WIKISOCIAL_METRICS_TOKEN")
METRICS_ALLOW = env.metrics_allowed_networks()
METRICS_TOP_DOMAINS = env.get_int("WIKISOCIAL_METRICS_TOP_DOMAINS", 20)
LOG_FORMAT = env.log_format()
ACCESS_LOG = env.get_bool("WIKISOCIAL_ACCESS_LOG", LOG_FORMAT == "json")
MIDDLEWARE = [
    "wikisocial.core.health.OpsEndpointsMiddleware",
    *(["wikisocial.core.logs.AccessLogMiddleware"] if ACCESS_LOG else []),
    *(["wikisocial.core.metrics.RequestMetricsMiddleware"] if METRICS_ENABLED else []),
    *MIDDLEWARE,
]

FORM_RENDERER = "wikisocial.web.forms.FormRenderer"
ROOT_URLCONF = "wikisocial.config.urls"
WSGI_APPLICATION = "wikisocial.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wikisocial.instance.context_processors.instance",
                "wikisocial.web.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {"default": env.database(DATA_DIR)}
_replica = env.database_replica()
if _replica is not None:
    # Timeline reads go to the replica (wikisocial/core/db.py); every write and every other
    # read to the primary.
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["wikisocial.core.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["wikisocial.accounts.auth.UsernameOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Links in confirmation e-mails stay valid this long.
EMAIL_CONFIRMATION_MAX_AGE = 60 * 60 * 24 * 3

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the apps' static folders in the all-in-one mode; production runs
# `wikisocial collectstatic` and lets the reverse proxy or WhiteNoise serve STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Uploads: the data folder's media/ by default, or an S3-compatible bucket
# (WIKISOCIAL_MEDIA_STORAGE=s3) whose URLs browsers and other servers read directly.
STORAGES = {
    "default": env.media_storage(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ON_DISK = STORAGES["default"]["BACKEND"].endswith("FileSystemStorage")
SERVE_MEDIA = MEDIA_ON_DISK and env.get_bool("WIKISOCIAL_SERVE_MEDIA", True)

# Requests larger than this are refused with 413 before Django reads the body.
MAX_REQUEST_BYTES = env.get_int("WIKISOCIAL_MAX_REQUEST_BYTES", 16 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o644

for _key, _value in env.email(DATA_DIR).items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = env.get("DEFAULT_FROM_EMAIL") or f"WikiSocial <noreply@{_host}>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {"default": env.tasks_backend(env.get("REDIS_URL"))}
# One RQ queue per task queue on REDIS_URL; `wikisocial worker` serves them in order. (The
# django_rq app itself is not installed: its admin pages are not needed, and the database
# schema stays the same whichever backend is chosen.)
RQ_QUEUES = env.rq_queues(env.get("REDIS_URL"))
# Periodic jobs (wikisocial/core/periodic.py): how often the federation sweeps run, once
# across all workers.
SWEEP_SECONDS = env.positive_seconds("WIKISOCIAL_SWEEP_SECONDS", 60)
# How long a worker holds a delivery it is sending (federation/delivery.py); a killed worker's
# deliveries are sent again once it expires. At least 30 s: three POSTs' worth (10 s at most).
DELIVERY_LEASE_SECONDS = env.delivery_lease_seconds()

CACHES = {"default": env.cache(env.get("REDIS_URL"))}
# /ready checks it answers when set (wikisocial/core/health.py).
REDIS_URL = env.get("REDIS_URL")

SESSION_COOKIE_SECURE = SCHEME == "https"
CSRF_COOKIE_SECURE = SCHEME == "https"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.get_bool("WIKISOCIAL_BEHIND_PROXY") else None
)

# django-oauth-toolkit's models are swappable; makemigrations needs this setting to exist as
# soon as one of our models points at Application (posts record the app that published them).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

OAUTH2_PROVIDER = {
    # Mastodon's scopes, top-level and granular (wikisocial/api/scopes.py).
    "SCOPES": OAUTH_SCOPES,
    "DEFAULT_SCOPES": ["read"],
    # RFC 9700: keep only a SHA-256 checksum of tokens at rest, never the token itself.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Mastodon apps mostly use plain authorization codes; PKCE (S256) is checked when sent.
    "PKCE_REQUIRED": False,
    # Mastodon's grants and rules (per-app scopes, exact redirect URIs, S256 only, JSON
    # bodies): wikisocial/api/oauth/server.py.
    "OAUTH2_SERVER_CLASS": "wikisocial.api.oauth.server.MastodonServer",
    "OAUTH2_VALIDATOR_CLASS": "wikisocial.api.oauth.server.MastodonValidator",
    "OAUTH2_BACKEND_CLASS": "wikisocial.api.oauth.server.MastodonOAuthLibCore",
    # Mastodon's tokens do not expire: a hundred years, until revoked.
    "ACCESS_TOKEN_EXPIRE_SECONDS": 100 * 365 * 24 * 60 * 60,
    # Long enough to copy an out-of-band code by hand (Mastodon allows ten minutes).
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    # Refresh tokens are rotated; one used a second time has leaked, so every token refreshed
    # from the same authorisation is revoked (RFC 9700 §4.14.2).
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}

# Where clients open the streaming API (`urls.streaming_api` in /api/v1/instance). By default
# the same origin: a reverse proxy sends /api/v1/streaming to the streaming server.
STREAMING_URL = env.get("WIKISOCIAL_STREAMING_URL") or (
    f"{'wss' if SCHEME == 'https' else 'ws'}://{DOMAIN}"
)
# The streaming server's broker: Redis pub/sub when REDIS_URL is set, else a database table
# it polls; and how many connections one streaming process holds (wikisocial/streaming).
STREAMING_REDIS_URL = env.get("REDIS_URL")
STREAMING_MAX_CONNECTIONS = env.get_int("WIKISOCIAL_STREAMING_MAX_CONNECTIONS", 2000)

# Where this server's source code is published (`source_url` in /api/v2/instance; the AGPL
# asks operators to offer it). Empty until the operator sets it.
SOURCE_URL = env.get("WIKISOCIAL_SOURCE_URL")

# Mastodon's rate-limit headers on every client-API answer (300 requests per 5 minutes).
API_RATE_LIMITS = env.get_bool("WIKISOCIAL_API_RATE_LIMITS", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        # WIKISOCIAL_LOG_FORMAT=json: one JSON object per line (wikisocial/core/logs.py).
        "json": {"()": "wikisocial.core.logs.JsonFormatter"},
    },
    # Paths with secrets in them (confirmation and reset links) are redacted in every line
    # that names a request, as django.request's "Not Found: /path" does.
    "filters": {"redact_paths": {"()": "wikisocial.core.logs.RedactPathFilter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_paths"],
        }
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "wikisocial": {"level": env.log_level("WIKISOCIAL_LOG_LEVEL", "INFO"), "propagate": True},
        # The access log is INFO lines; switched on and off by WIKISOCIAL_ACCESS_LOG alone.
        "wikisocial.access": {"level": "INFO", "propagate": True},
        # Before any handler (Django's own console one too) sees "Not Found: /path".
        "django.request": {"filters": ["redact_paths"], "propagate": True},
        "django_tasks": {"level": "INFO", "propagate": True},
        "django_tasks_db": {"level": "INFO", "propagate": True},
    },
}

# Limits users meet on their profile (Mastodon's numbers where it has them).
PROFILE_LIMITS = {
    "display_name": 100,
    "bio": 2000,
    "fields": 6,
    "field_name": 255,
    "field_value": 255,
    "pronouns": 50,
    "languages": 12,
    "affiliations": 10,
}
# Image uploads: bytes on the wire, pixels declared in the header, and what we store.
IMAGE_LIMITS = {
    "max_bytes": env.get_int("WIKISOCIAL_IMAGE_MAX_BYTES", 8 * 1024 * 1024),
    "max_pixels": 33_177_600,  # 7680 x 4320: anything larger is refused before decoding
    "max_side": 16_384,
    "avatar": (400, 400),
    "header": (1500, 500),
    "attachment": (2560, 2560),  # fitted inside, never cropped
    "attachment_thumbnail": (640, 640),
}
# Posting limits (the character limit is an instance setting, edited in the admin).
POST_LIMITS = {
    "media": 4,
    "alt_text": 1500,
    "spoiler_text": 500,
    "mentions": 30,
    "pins": 5,
    "poll_options": (2, 6),
    "poll_option_chars": 200,
    "poll_duration": (5 * 60, 31 * 24 * 3600),  # seconds
    "post_rate": (300, 3 * 3600),  # posts per account per 3 hours (Mastodon's API limit)
    "upload_rate": (30, 30 * 60),  # uploads per account per 30 minutes
}

# Outbound HTTP (federation): see core/http.py. WIKISOCIAL_DEV_FEDERATION=1 allows http:// and
# loopback/private addresses, for instances side by side on one machine (never in production).
DEV_FEDERATION = env.get_bool("WIKISOCIAL_DEV_FEDERATION")
