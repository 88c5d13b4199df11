"""Production settings: a real secret key is required, HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters in production. "
        "For a local try-out use the demo mode (DJANGO_SETTINGS_MODULE=sibcase.settings.demo)."
    )

PSEUDONYM_KEY = env("PSEUDONYM_KEY", default="")
if len(PSEUDONYM_KEY) < 32:
    raise ImproperlyConfigured(
        "PSEUDONYM_KEY must be set to a random value of at least 32 characters in production "
        "(the key of the evaluators' pseudonyms; keep it apart from DJANGO_SECRET_KEY)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
