"""Production refuses to start insecurely; security headers are on every response."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_SETTINGS_MODULE="sibcase.settings.production")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_pseudonym_key():
    result = _manage(
        "check", DJANGO_SETTINGS_MODULE="sibcase.settings.production", DJANGO_SECRET_KEY=secrets.token_urlsafe(64)
    )
    assert result.returncode != 0
    assert "PSEUDONYM_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = _manage("check", DJANGO_SETTINGS_MODULE="sibcase.settings.production", DJANGO_SECRET_KEY="short")
    assert result.returncode != 0


def test_deploy_check_passes_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="sibcase.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        PSEUDONYM_KEY=secrets.token_urlsafe(32),
        DJANGO_ALLOWED_HOSTS="sibcase.example.fi",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked_for():
    from django.conf import settings

    assert settings.DEBUG is False


@pytest.mark.django_db
def test_security_headers_are_present(client):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_for_signed_in_users_are_never_cached(client, social_worker):
    client.force_login(social_worker)
    response = client.get("/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
