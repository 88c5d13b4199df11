"""Test settings (pytest). DATABASE_URL and CELERY_BROKER_URL still come from the environment."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-not-secret-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b")
PSEUDONYM_KEY = env("PSEUDONYM_KEY", default="test-only-pseudonym-key-not-secret-2b8f4c6e")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process unless a test is about the broker (those start a real worker against Redis themselves).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Suites and schemathesis make many requests in a minute; the throttle itself is tested with its own rates.
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # noqa: F405
        "anon": "10000/minute",
        "user": "100000/minute",
        "failed_token": "10000/minute",
        "identity_code_lookup": "10000/minute",
    },
}
# Tests measure the real queries (and a test's changes are never committed, so nothing would supersede a cached
# aggregate); the caches have their own tests.
SIBCASE = {**SIBCASE, "FUND_REPORT_CACHE_SECONDS": 0, "AGGREGATE_CACHE_SECONDS": 0}  # noqa: F405

# Uploads of a test run land in a throwaway folder, never in the working tree.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="sibcase-test-files-"))

# seed_demo creates logins with a published password: it runs only where this is set (demo and test settings).
ALLOW_DEMO_SEED = True

# A test database is thrown away after the run: its commits need not wait for the disk (what is committed stays
# visible to every other connection exactly as with a synchronous commit), and the flush after a committing test
# deletes rather than truncates (tests/postgresql_backend: about 0.4 s a test less). Not for SQLite.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "tests.postgresql_backend"  # noqa: F405
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        **DATABASES["default"].get("OPTIONS", {}),  # noqa: F405
        "options": "-c synchronous_commit=off",
    }
