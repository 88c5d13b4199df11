"""Failures of the parts around the app, against the real services: nothing half-written, nothing lost."""

import datetime
import re

import psycopg2
import pytest
import redis
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from families.models import Enrollment, Family, Guardian
from payments.models import PaymentRun, PaymentStatement, RunStatus, StatementKind
from sibcase.models import OutboxMessage, OutboxStatus, Role
from sibcase.outbox import outbox_relay_pending

from ..factories import ChildFactory, ConsentFactory, FamilyFactory, GuardianFactory, UserFactory
from ..families.test_views import _referral_data, _token
from ..payments.conftest import worked_example  # noqa: F401 - the README's worked example
from ..support import RedisServer, start_worker, stop_worker, wait_for

D = datetime.date
YEAR_2024 = {"kind": StatementKind.ANNUAL, "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="fault tests run against PostgreSQL"),
]


@pytest.fixture
def own_redis(use_broker):
    server = RedisServer()
    server.start()
    server.reconnect = lambda: use_broker(server.url)
    server.reconnect()
    yield server
    server.stop()


def _blocking_connection():
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )


def _drop_this_connection() -> None:
    """Kill the test's own database session from outside, as a network cut or a DBA would."""
    killer = _blocking_connection()
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
        killer.commit()
    finally:
        killer.close()


def test_redis_down_while_enrolling_saves_the_enrollment_and_the_work_follows_later(
    client,
    worked_example,  # noqa: F811
    own_redis,
):
    programme = worked_example["programme"]
    worker = UserFactory(role=Role.SOCIAL_WORKER, municipality=programme.municipality)
    family = FamilyFactory(municipality=programme.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
    own_redis.stop()
    own_redis.reconnect()
    client.force_login(worker)
    url = reverse("families:enrollment_create", args=[family.pk])
    response = client.post(
        url,
        {
            "programme": programme.pk,
            "enrolled_on": timezone.localdate().isoformat(),
            "children": [c.pk for c in family.children.all()],
            "form_token": _token(client, url),
        },
        follow=True,
    )
    page = response.content.decode()
    assert Enrollment.objects.filter(family=family).count() == 1
    assert "viivästyy" in page  # the user is told the background job is delayed
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING

    own_redis.start()
    own_redis.reconnect()
    assert outbox_relay_pending() == (1, 0)
    assert redis.Redis(port=own_redis.port).llen("celery") == 1
    celery = start_worker(own_redis.url)
    try:
        assert wait_for(lambda: PaymentRun.objects.filter(status=RunStatus.SUCCEEDED).exists()), stop_worker(celery)
    finally:
        stop_worker(celery)
    assert PaymentStatement.objects.filter(kind=StatementKind.PREVIEW).count() == 1


def test_database_connection_dropped_mid_request_shows_a_clean_error_page_and_saves_nothing(
    client, social_worker, municipality, monkeypatch
):
    from families import services
    from programs.models import Programme

    from ..factories import ProgrammeFactory

    programme = ProgrammeFactory(municipality=municipality)
    original = services.guardian_create

    def dropped(**kwargs):
        # The family and its child are already written inside the transaction when the connection dies.
        _drop_this_connection()
        return original(**kwargs)

    monkeypatch.setattr(services, "guardian_create", dropped)
    client.raise_request_exception = False
    client.force_login(social_worker)
    url = reverse("families:referral_create")
    data = _referral_data(programme)
    data["form_token"] = _token(client, url)
    response = client.post(url, data)
    assert response.status_code == 500
    assert "Mitään ei tallennettu puolittain" in response.content.decode()
    connection.close()  # a fresh connection for the checks below
    assert not Family.objects.exists() and not Guardian.objects.exists()
    assert Programme.objects.filter(pk=programme.pk).exists()


def test_the_api_answers_a_dropped_connection_with_json(client, social_worker, municipality, monkeypatch):
    from families import services

    from ..factories import ProgrammeFactory, identity_code

    programme = ProgrammeFactory(municipality=municipality)

    original = services.referral_create

    def dropped(**kwargs):
        _drop_this_connection()
        return original(**kwargs)  # its first query meets the dead connection

    monkeypatch.setattr(services, "referral_create", dropped)
    client.force_login(social_worker)
    body = {
        "programme": programme.pk,
        "postal_code": "00980",
        "children": [{"first_names": "A", "last_name": "B", "identity_code": identity_code(600)}],
        "guardians": [],
        "source": "neuvola",
        "referred_on": "2024-03-01",
        "reason": "x",
    }
    response = client.post(reverse("api:family-list"), body, content_type="application/json")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    connection.close()
    assert not Family.objects.exists()


def test_production_page_never_leaks_a_traceback(client, social_worker, monkeypatch, settings):
    settings.DEBUG = False

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("sibcase.views.caseload_for_worker", broken)
    client.raise_request_exception = False
    client.force_login(social_worker)
    response = client.get("/")
    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert re.search("Palvelussa tapahtui virhe", response.content.decode())
