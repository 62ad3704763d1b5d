"""Settings for the Wenxin frontline work platform.

One file, read from the environment (django-environ). Development defaults are safe to run on a laptop:
DEBUG on, a SQLite file in the project. Production sets DEBUG=False, SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL; with DEBUG off a missing SECRET_KEY fails loudly instead of falling back to a dev key.
See .env.example for every variable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a random string of 50+ characters when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "wenxin",
    "households",
    "visits",
    "feedback",
    "assessment",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Failed logins and lockouts. Not last: the role groups are rebuilt after each app's migrate signal, before
    # that app's own permissions exist, so the system administrator's axes permissions need an app after it.
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    # The audit trail of row changes (wenxin/audit.py): one table of field-by-field diffs, its own migrations.
    "auditlog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Moves an active session's expiry on (SESSION_COOKIE_AGE of inactivity ends it): wenxin/sessions.py.
    "wenxin.sessions.SlidingSessionMiddleware",
    "wenxin.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the signed-in user becomes the actor of every audit-trail entry the request writes.
    "wenxin.audit.AuditTrailMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wenxin.urls"
WSGI_APPLICATION = "wenxin.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A kept-open connection that the database dropped (a restart, a network cut) is found unusable before the
# request's first query and replaced, so the request after an outage works (wenxin.faults, docs/security.md).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's JIT compiler took 1.3 s to compile a coverage query that then ran in 0.7 s (docs/performance.md):
    # off for this site's connections, whose queries are short. A DATABASE_URL ?options=… takes precedence.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# Backups (manage.py backup, make backup) hold every ID number: written outside the project by default.
BACKUP_DIR = env.path("BACKUP_DIR", default=Path.home() / "wenxin-backups")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "wenxin.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one client address,
# that pair is refused for AXES_COOLOFF_MINUTES; a success resets its count. Username AND address together: the
# office shares one NAT address, so one person's typos must not lock out colleagues, and a stranger's guesses
# from elsewhere must not lock out the real user. The address is read as the public pages read it
# (ONLINE_CLIENT_ADDRESS_HEADER behind the proxy). A system administrator unlocks sooner in the admin (Axes ›
# Access attempts: delete the row) or with `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "wenxin.lockout.client_address"
AXES_RESET_ON_SUCCESS = True
# A try while locked out does not restart the cool-off, so the lockout page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "wenxin.lockout.lockout_response"
# Who to call to be unlocked at once, named on the lockout page (e.g. 信息科 0571-88888888).
LOGIN_HELP_CONTACT = env("LOGIN_HELP_CONTACT", default="")

# Chinese first; English is a full translation, switched per session.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Uploaded registry files are read in memory and never larger than this.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20000)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024

# Long work (applying an import, a large export) runs as a background job of Django's tasks framework (the
# django-tasks backport). By default it is queued in the database and `manage.py db_worker` runs it (`make run`
# starts one beside the web server): no extra server. TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend
# runs it inside the request instead, for a site without a worker (a long import may then outlast a proxy's timeout).
TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# Household exports of more rows than this become a background job with a progress page; smaller ones download at once.
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=2000)
# Background jobs, and the files they produced, are deleted this many days after they were started.
JOB_RETENTION_DAYS = env.int("JOB_RETENTION_DAYS", default=7)

# The default cache: the public pages count attempts per address in it (feedback/throttle.py). One process
# keeps its own LocMemCache; production with several workers sets CACHE_URL=redis://… so they share one count.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# The public online channel (/opinion/): opinions and tracking-code lookups one client address may make an hour.
ONLINE_OPINIONS_PER_HOUR = env.int("ONLINE_OPINIONS_PER_HOUR", default=5)
ONLINE_TRACKING_LOOKUPS_PER_HOUR = env.int("ONLINE_TRACKING_LOOKUPS_PER_HOUR", default=30)
# Behind a reverse proxy REMOTE_ADDR is the proxy: name the request.META key it puts the client's address in
# (e.g. HTTP_X_REAL_IP). Leave empty when clients connect directly: a client could then forge the header.
ONLINE_CLIENT_ADDRESS_HEADER = env("ONLINE_CLIENT_ADDRESS_HEADER", default="")

# A session ends after SESSION_COOKIE_AGE seconds without a request (30 minutes by default), so a signed-in phone
# left on a desk is signed out half an hour later, not at the end of the day. Requests move its expiry on, writing
# the session at most once every SESSION_REFRESH_SECONDS rather than on every request as
# SESSION_SAVE_EVERY_REQUEST would (wenxin/sessions.py says why).
SESSION_ENGINE = "wenxin.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
# Also end it when the browser closes (a shared computer); off by default, since phones rarely close the browser.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy (django-csp 4), enforced everywhere, DEBUG included (only Django's DEBUG error pages go
# without), so a test or a developer meets a violation before production does. Only our own origin: no inline
# <script>, no eval, no <style> element and no style="" attribute (templates keep to it: tests/test_templates.py;
# the browser proves it: tests/e2e/test_csp.py).
# Scripts may still set styles through the DOM (element.style), as Chart.js, Popper and the admin's widgets do.
# data: images are Bootstrap's inline SVG icons (the menu toggler, select arrows, checkboxes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

if not DEBUG:
    # Production sits behind TLS; these make `check --deploy` clean.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Demo data may only be written to a development database (see seed_demo --force).
DEMO_PASSWORD = "wenxin-demo"
