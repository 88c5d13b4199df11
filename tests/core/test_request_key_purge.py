"""Stored API answers (which can hold personal data) and spent form tokens are purged by the scheduler, not only
when someone remembers to run `manage.py purge_request_keys`."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from sibcase.celery import app
from sibcase.models import IdempotencyKey, UsedFormToken

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def _age(model, pk, field: str, hours: int) -> None:
    model.objects.filter(pk=pk).update(**{field: timezone.now() - datetime.timedelta(hours=hours)})


def test_the_beat_schedule_runs_the_purge_at_least_hourly():
    entries = [
        entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == "sibcase.purge_request_keys"
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"] <= 3600
    assert "sibcase.purge_request_keys" in app.tasks


def test_the_purge_task_deletes_expired_answers_and_tokens_and_keeps_fresh_ones():
    user = UserFactory()
    old_key = IdempotencyKey.objects.create(user=user, key="old", request_hash="a", response_body={"name": "Maija"})
    new_key = IdempotencyKey.objects.create(user=user, key="new", request_hash="b", response_body={"name": "Aino"})
    old_token = UsedFormToken.objects.create(token="old-token", user=user)
    new_token = UsedFormToken.objects.create(token="new-token", user=user)
    _age(IdempotencyKey, old_key.pk, "created_at", hours=25)
    _age(UsedFormToken, old_token.pk, "used_at", hours=25)

    result = app.tasks["sibcase.purge_request_keys"].apply().get()

    assert result == {"idempotency_keys": 1, "form_tokens": 1}
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [new_key.pk]
    assert list(UsedFormToken.objects.values_list("pk", flat=True)) == [new_token.pk]
