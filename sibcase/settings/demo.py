"""Demo mode: the README's run command. Local only, synthetic data, no secret key needed."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="demo-only-not-secret-4f1c2b7a9e0d8c6b5a4f3e2d1c0b9a8f7e6d5c4b")
# Synthetic people only; a real deployment sets its own key (production refuses to start without one).
PSEUDONYM_KEY = env("PSEUDONYM_KEY", default="demo-only-pseudonym-key-not-secret-7d3e9a1c")
# Serve static files straight from the app folders, no collectstatic needed for a try-out.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# seed_demo creates logins with a published password: it runs only where this is set (demo and test settings).
ALLOW_DEMO_SEED = True
