"""Sign-in protections: lockout per username and per address, throttled bad API tokens, an absolute session
lifetime, and no demo data (with its published password) outside demo and test."""

import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from sibcase.api_tokens import api_token_create
from sibcase.middleware import SESSION_STARTED_KEY
from sibcase.models import User

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password, ip):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_a_username_is_locked_whatever_address_the_failures_come_from(client, settings):
    user = UserFactory()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.username, "wrong", f"10.0.0.{n + 1}")
    assert _login(client, user.username, PASSWORD, "10.0.1.1").status_code == 429


def test_password_spraying_from_one_address_is_locked(client, settings):
    users = UserFactory.create_batch(settings.AXES_FAILURE_LIMIT + 1)
    for user in users[:-1]:
        _login(client, user.username, "wrong", "10.0.0.9")
    assert _login(client, users[-1].username, PASSWORD, "10.0.0.9").status_code == 429
    # The same person from their own address is not affected by someone else's spraying.
    assert _login(client, users[-1].username, PASSWORD, "10.0.0.10").status_code == 302


def test_the_client_address_comes_from_the_trusted_proxy(rf, settings):
    from sibcase.middleware import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7")
    assert client_ip(request) == "192.0.2.7"  # the address our proxy saw, not one the client claimed
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.9.9.9"


def test_invalid_api_tokens_are_throttled(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "failed_token": "3/minute"},
    }
    url = reverse("api:family-list")
    for _ in range(3):
        assert client.get(url, HTTP_AUTHORIZATION=f"Token {secrets.token_hex(20)}").status_code in (401, 403)
    response = client.get(url, HTTP_AUTHORIZATION=f"Token {secrets.token_hex(20)}")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_valid_api_tokens_are_not_counted_as_failures(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "failed_token": "3/minute"},
    }
    token = api_token_create(user=UserFactory())
    for _ in range(5):
        assert client.get(reverse("api:family-list"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_a_session_ends_at_its_absolute_lifetime_despite_activity(client, settings):
    client.force_login(UserFactory())
    assert client.get(reverse("families:list")).status_code == 200
    session = client.session
    started = timezone.now() - datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    session[SESSION_STARTED_KEY] = started.timestamp()
    session.save()
    response = client.get(reverse("families:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_session_within_its_lifetime_continues(client):
    client.force_login(UserFactory())
    for _ in range(2):
        assert client.get(reverse("families:list")).status_code == 200
    assert SESSION_STARTED_KEY in client.session


def test_seed_demo_refuses_production_settings():
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env={
            **clean_env,
            "DJANGO_SETTINGS_MODULE": "sibcase.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "PSEUDONYM_KEY": secrets.token_urlsafe(32),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "seed_demo runs only with the demo or test settings" in result.stderr


def test_seed_demo_refuses_any_settings_but_demo_and_test(settings):
    # Only the demo and test settings modules set ALLOW_DEMO_SEED; production has none (see the subprocess test).
    settings.ALLOW_DEMO_SEED = False
    with pytest.raises(CommandError, match="demo or test settings"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.filter(username__startswith="demo-").exists()
