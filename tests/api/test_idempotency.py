"""Idempotency-Key on API POSTs: replay, mismatch, expiry, and that every POST route has it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from outcomes.models import OutcomeObservation
from sibcase.api import IdempotentPosts, idempotency_keys_purge
from sibcase.api_urls import router
from sibcase.models import IdempotencyKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(enrolled_family, metric):
    return {"metric": metric.pk, "child": enrolled_family.children.get().pk, "period_start": "2024-03-01", "value": "1"}


def _post(api, body, key, **overrides):
    return api.post(reverse("api:observation-list"), {**body, **overrides}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_every_api_route_that_accepts_post_is_idempotent():
    posting = [
        viewset
        for _prefix, viewset, _basename in router.registry
        if hasattr(viewset, "create") or any("post" in action.mapping for action in viewset.get_extra_actions())
    ]
    assert posting
    assert all(issubclass(viewset, IdempotentPosts) for viewset in posting)


def test_a_repeat_answers_the_stored_response_without_writing_again(api, social_worker, body):
    api.force_authenticate(social_worker)
    first = _post(api, body, "k-1")
    again = _post(api, body, "k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert OutcomeObservation.objects.count() == 1


def test_a_key_reused_with_another_body_is_422_and_writes_nothing(api, social_worker, body):
    api.force_authenticate(social_worker)
    assert _post(api, body, "k-2").status_code == 201
    response = _post(api, body, "k-2", period_start="2024-03-02")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert OutcomeObservation.objects.count() == 1


def test_a_key_that_is_not_printable_ascii_is_a_400(api, social_worker, body):
    api.force_authenticate(social_worker)
    response = _post(api, body, "x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not OutcomeObservation.objects.exists()


def test_a_key_expires_after_24_hours(api, social_worker, body):
    api.force_authenticate(social_worker)
    assert _post(api, body, "k-3").status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    response = _post(api, body, "k-3", period_start="2024-03-02")
    assert response.status_code == 201
    assert OutcomeObservation.objects.count() == 2


def test_expired_keys_are_purged(api, social_worker, body):
    api.force_authenticate(social_worker)
    _post(api, body, "k-4")
    _post(api, body, "k-5", period_start="2024-03-02")
    IdempotencyKey.objects.filter(key="k-4").update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-5"]


def test_a_post_without_a_key_stores_no_key(api, social_worker, body):
    api.force_authenticate(social_worker)
    assert api.post(reverse("api:observation-list"), body, format="json").status_code == 201
    assert not IdempotencyKey.objects.exists()


def test_an_unauthenticated_post_with_a_key_stores_nothing(api, body):
    assert _post(api, body, "k-6").status_code in (401, 403)
    assert not IdempotencyKey.objects.exists()
