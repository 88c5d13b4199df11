"""The idle timeout is renewed without writing the session row on every page view (issue 14)."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from sibcase.middleware import SESSION_RENEWED_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(client):
    client.force_login(UserFactory())
    assert client.get(reverse("families:list")).status_code == 200
    return Session.objects.get(session_key=client.session.session_key)


def test_a_page_view_soon_after_the_last_renewal_does_not_write_the_session(client):
    before = _signed_in(client)
    assert client.get(reverse("families:list")).status_code == 200
    after = Session.objects.get(pk=before.pk)
    assert (after.expire_date, after.session_data) == (before.expire_date, before.session_data)


def test_a_page_view_after_the_renewal_interval_moves_the_expiry_ahead(client, settings):
    before = _signed_in(client)
    session = client.session
    session[SESSION_RENEWED_KEY] = time.time() - settings.SESSION_RENEW_SECONDS
    session.save()
    saved = Session.objects.get(pk=before.pk).expire_date
    time.sleep(0.01)
    assert client.get(reverse("families:list")).status_code == 200
    assert Session.objects.get(pk=before.pk).expire_date > saved


def test_a_session_never_outlives_the_idle_timeout_after_the_last_request(client, settings):
    session = _signed_in(client)
    assert client.get(reverse("families:list")).status_code == 200
    requested = time.time()
    expires = Session.objects.get(pk=session.pk).expire_date.timestamp()
    assert requested - settings.SESSION_RENEW_SECONDS <= expires - settings.SESSION_COOKIE_AGE <= requested
