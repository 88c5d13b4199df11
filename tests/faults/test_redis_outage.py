"""Redis down: the API and the fund overview keep answering from the database, and rate limits keep counting.

Each test starts a redis-server of its own on a spare port, points CACHE_URL's caches at it, fills the cache, and
then stops the server, as a crashed or restarted Redis would.
"""

import logging

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from sibcase.models import Role
from sibcase.settings.caches import cache_settings

from ..factories import UserFactory
from ..payments.conftest import worked_example  # noqa: F401 - the README's worked example
from ..support import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache():
    server = RedisServer()
    server.start()
    with override_settings(CACHES=cache_settings(f"redis://127.0.0.1:{server.port}/1")):
        cache.set("probe", "up")
        assert cache.get("probe") == "up"  # really on Redis
        yield server
    server.stop()


@pytest.fixture
def fund_manager(db):
    return UserFactory(role=Role.FUND_MANAGER, municipality=None)


def test_api_list_answers_200_with_redis_down(redis_cache, social_worker, caplog):
    api = APIClient()
    api.force_authenticate(social_worker)
    assert api.get(reverse("api:programme-list")).status_code == 200
    redis_cache.stop()
    with caplog.at_level(logging.WARNING, logger="sibcase.throttling"):
        response = api.get(reverse("api:programme-list"))
    assert response.status_code == 200
    assert "throttle cache unavailable" in caplog.text


def test_fund_overview_answers_200_with_redis_down(redis_cache, client, fund_manager, worked_example, settings):  # noqa: F811
    settings.SIBCASE = {**settings.SIBCASE, "FUND_REPORT_CACHE_SECONDS": 60}
    client.force_login(fund_manager)
    assert client.get(reverse("fund:overview")).status_code == 200  # computed and cached in Redis
    redis_cache.stop()
    response = client.get(reverse("fund:overview"))
    assert response.status_code == 200
    assert worked_example["programme"].name_fi in response.content.decode()


def test_rate_limit_still_counts_per_process_with_redis_down(redis_cache, social_worker, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "1/minute"})
    redis_cache.stop()
    api = APIClient()
    api.force_authenticate(social_worker)
    codes = [api.get(reverse("api:programme-list")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_cache_is_back_in_use_when_redis_returns(redis_cache):
    redis_cache.stop()
    assert cache.get("probe") is None  # a miss, not an error
    redis_cache.start()
    cache.set("probe", "again")
    assert cache.get("probe") == "again"
