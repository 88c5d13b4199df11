"""Payment runs under faults, against real Redis, real workers and real PostgreSQL: never lost, never stuck for
good, never duplicated, and a calculation never holds up an enrollment."""

import datetime
import os
import signal
import threading
import time
from decimal import Decimal

import psycopg2
import pytest
import redis
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from families.services import enrollment_create
from payments.models import PaymentRun, PaymentStatement, RunStatus, StatementKind
from payments.services import runs
from payments.services.runs import run_execute, run_request, runs_requeue_stuck
from payments.services.statements import statement_calculate
from sibcase.models import AuditEvent, Role

from ..factories import ChildFactory, ConsentFactory, FamilyFactory, GuardianFactory, UserFactory
from ..payments.conftest import worked_example  # noqa: F401 - the README's worked example
from ..support import RedisServer, start_worker, stop_worker, wait_for

D = datetime.date
YEAR_2024 = {"kind": StatementKind.ANNUAL, "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}
# How soon a dead worker must be noticed, and how long a queued run may wait before it is sent again.
NOTICED_WITHIN = datetime.timedelta(minutes=2)
RESENT_WITHIN = datetime.timedelta(minutes=10)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="fault tests run against PostgreSQL"),
]


@pytest.fixture
def own_redis(use_broker):
    server = RedisServer()
    server.start()
    use_broker(server.url)
    yield server
    server.stop()


def _connect():
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )


@pytest.fixture
def statements_locked(worked_example):  # noqa: F811
    """Another session holds the period's draft statement: a calculation of the period stops inside its
    transaction, as a long one would, while everything else (including new runs) goes on."""
    draft = statement_calculate(programme=worked_example["programme"], **YEAR_2024)
    blocker = _connect()
    with blocker.cursor() as cursor:
        cursor.execute("SELECT id FROM payments_paymentstatement WHERE id = %s FOR UPDATE", [draft.pk])

    def release() -> None:
        if not blocker.closed:
            blocker.rollback()
            blocker.close()

    yield release
    release()


def _a_calculation_is_waiting() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _run(pk: int) -> PaymentRun:
    return PaymentRun.objects.get(pk=pk)


def test_a_message_lost_by_redis_after_it_was_accepted_is_sent_again_and_the_run_completes(worked_example, own_redis):  # noqa: F811
    run = run_request(actor=None, programme=worked_example["programme"], **YEAR_2024)
    assert own_redis.queue_length() == 1  # the broker accepted it, and the outbox marked it sent
    redis.Redis(port=own_redis.port).flushall()  # ...and then lost it, as a crash before persisting would
    worker = start_worker(own_redis.url)
    try:
        time.sleep(3)
        assert _run(run.pk).status == RunStatus.QUEUED  # nothing arrives by itself
        assert runs_requeue_stuck(now=timezone.now() + RESENT_WITHIN) == 1
        assert wait_for(lambda: _run(run.pk).status == RunStatus.SUCCEEDED), stop_worker(worker)
    finally:
        stop_worker(worker)
    assert PaymentStatement.objects.count() == 1


def test_a_worker_killed_mid_run_is_noticed_by_its_lease_and_the_run_is_done_again(
    worked_example,  # noqa: F811
    own_redis,
    statements_locked,
):
    calculated_at = PaymentStatement.objects.get().calculated_at
    worker = start_worker(own_redis.url)
    try:
        run = run_request(actor=None, programme=worked_example["programme"], **YEAR_2024)
        assert wait_for(_a_calculation_is_waiting), stop_worker(worker)
        assert _run(run.pk).status == RunStatus.RUNNING
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)
    finally:
        statements_locked()
    assert PaymentStatement.objects.get().calculated_at == calculated_at  # nothing half-written
    assert runs_requeue_stuck() == 0  # the lease has not run out yet: a live worker would not be disturbed
    assert runs_requeue_stuck(now=timezone.now() + NOTICED_WITHIN) == 1

    second = start_worker(own_redis.url)
    try:
        assert wait_for(lambda: _run(run.pk).status == RunStatus.SUCCEEDED), stop_worker(second)
    finally:
        stop_worker(second)
    assert _run(run.pk).attempts == 2
    assert PaymentStatement.objects.count() == 1
    assert PaymentStatement.objects.get().payable == Decimal("5023.88")  # the README's worked example


def test_the_heartbeat_keeps_the_lease_of_a_long_calculation(worked_example, monkeypatch, statements_locked):  # noqa: F811
    monkeypatch.setattr(runs, "LEASE", datetime.timedelta(seconds=2))
    monkeypatch.setattr(runs, "HEARTBEAT", datetime.timedelta(seconds=0.3))
    run = PaymentRun.objects.create(programme=worked_example["programme"], queued_at=timezone.now(), **YEAR_2024)

    def execute():
        try:
            run_execute(run_id=run.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=execute)
    thread.start()
    try:
        assert wait_for(_a_calculation_is_waiting)
        time.sleep(3)  # longer than the lease: only the heartbeat keeps it
        assert _run(run.pk).lease_expires_at > timezone.now()
        assert runs_requeue_stuck() == 0
    finally:
        statements_locked()
        thread.join(timeout=60)
    assert _run(run.pk).status == RunStatus.SUCCEEDED and _run(run.pk).attempts == 1


def test_after_the_last_attempt_the_run_fails_with_its_reason_and_the_coordinator_retries_it(
    client,
    worked_example,  # noqa: F811
    own_redis,
):
    programme = worked_example["programme"]
    run = run_request(actor=None, programme=programme, **YEAR_2024)
    redis.Redis(port=own_redis.port).flushall()
    # Its worker died on every attempt so far, the last one now.
    PaymentRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, attempts=3, started_at=timezone.now(), lease_expires_at=timezone.now()
    )
    runs_requeue_stuck(now=timezone.now() + NOTICED_WITHIN)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "3 kertaa" in run.error

    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    client.force_login(coordinator)
    page = client.get(reverse("payments:run_detail", args=[run.pk])).content.decode()
    assert "Laskenta epäonnistui" in page and "3 kertaa" in page
    assert reverse("payments:run_retry", args=[run.pk]) in page

    worker = start_worker(own_redis.url)
    try:
        response = client.post(reverse("payments:run_retry", args=[run.pk]))
        fresh = PaymentRun.objects.exclude(pk=run.pk).get()
        assert response.url == reverse("payments:run_detail", args=[fresh.pk])
        assert wait_for(lambda: _run(fresh.pk).status == RunStatus.SUCCEEDED), stop_worker(worker)
    finally:
        stop_worker(worker)
    assert fresh.retry_of_id == run.pk and fresh.requested_by == coordinator
    assert AuditEvent.objects.filter(event_type="payment_run.retried", actor=coordinator).count() == 1
    assert PaymentStatement.objects.count() == 1


def test_twenty_identical_run_requests_at_once_make_one_run(worked_example, own_redis):  # noqa: F811
    programme = worked_example["programme"]
    barrier = threading.Barrier(20)
    answered: list[int] = []
    errors: list[BaseException] = []

    def request():
        try:
            barrier.wait(timeout=20)
            answered.append(run_request(actor=None, programme=programme, **YEAR_2024).pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert PaymentRun.objects.count() == 1
    assert set(answered) == {PaymentRun.objects.get().pk} and len(answered) == 20
    assert own_redis.queue_length() == 1  # one calculation, not twenty


def test_an_enrollment_during_a_long_calculation_is_not_held_up(worked_example, own_redis, statements_locked):  # noqa: F811
    programme = worked_example["programme"]
    family = FamilyFactory(municipality=programme.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
    run = run_request(actor=None, programme=programme, **YEAR_2024)
    calculation = threading.Thread(target=lambda: (run_execute(run_id=run.pk), connections.close_all()))
    calculation.start()
    done: dict[str, float] = {}
    enrollment = None
    try:
        assert wait_for(_a_calculation_is_waiting)  # the calculation is inside its transaction, holding its lock

        def enroll():
            try:
                started = time.monotonic()
                enrollment_create(actor=None, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
                again = run_request(actor=None, programme=programme, **YEAR_2024)
                done["seconds"], done["run"] = time.monotonic() - started, again.pk
            finally:
                connections.close_all()

        enrollment = threading.Thread(target=enroll)
        enrollment.start()
        enrollment.join(timeout=5)
        assert "seconds" in done, "the enrollment waited for the calculation"
        assert done["seconds"] < 5
        assert done["run"] == run.pk  # the request is answered at once by the running run
    finally:
        statements_locked()
        calculation.join(timeout=60)
        if enrollment is not None:
            enrollment.join(timeout=60)
    # The request that came in while it computed is followed by one more run.
    assert _run(run.pk).status == RunStatus.SUCCEEDED and _run(run.pk).rerun_requested
    follow_up = PaymentRun.objects.exclude(pk=run.pk).get(kind=StatementKind.ANNUAL)
    assert follow_up.status == RunStatus.QUEUED
