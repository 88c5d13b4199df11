import datetime
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from payments.models import PaymentRun, PaymentStatement, RunStatus, StatementKind, StatementStatus
from payments.services.runs import RESEND_QUEUED_AFTER, run_execute, run_request, runs_requeue_stuck, runs_schedule
from payments.services.statements import statement_calculate, statement_transition
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import PaymentTermsFactory, ProgrammeFactory, UserFactory
from ..support import RedisServer, start_worker, stop_worker, wait_for
from . import signing

D = datetime.date
YEAR_2024 = {"kind": StatementKind.ANNUAL, "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def statement(worked_example):
    return statement_calculate(programme=worked_example["programme"], **YEAR_2024)


@pytest.fixture
def evaluator(db):
    return UserFactory(role=Role.EVALUATOR, municipality=None)


@pytest.fixture
def coordinator(worked_example):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[worked_example["programme"]])


@pytest.fixture
def treasurer(worked_example):
    """A second coordinator: the one who approves never records the payment."""
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[worked_example["programme"]])


@pytest.mark.django_db
def test_statement_goes_draft_validated_approved_paid(statement, evaluator, coordinator, treasurer):
    signing.validate(statement, evaluator)
    statement_transition(actor=coordinator, statement=statement, to_status=StatementStatus.APPROVED)
    statement_transition(
        actor=treasurer,
        statement=statement,
        to_status=StatementStatus.PAID,
        paid_on=D(2025, 3, 1),
        payment_reference="RF18 1234",
    )
    statement.refresh_from_db()
    assert statement.status == StatementStatus.PAID
    assert list(
        AuditEvent.objects.filter(
            event_type__in=["statement.calculated", "statement.validated", "statement.approved", "statement.paid"]
        )
        .order_by("id")
        .values_list("event_type", flat=True)
    ) == ["statement.calculated", "statement.validated", "statement.approved", "statement.paid"]


@pytest.mark.django_db
def test_draft_cannot_be_approved_directly(statement, coordinator):
    with pytest.raises(DomainError) as exc:
        statement_transition(actor=coordinator, statement=statement, to_status=StatementStatus.APPROVED)
    assert exc.value.codes == ["illegal_transition"]


@pytest.mark.django_db
def test_coordinator_cannot_validate(statement, coordinator):
    with pytest.raises(DomainError) as exc:
        statement_transition(actor=coordinator, statement=statement, to_status=StatementStatus.VALIDATED)
    assert exc.value.codes == ["not_allowed"]


@pytest.mark.django_db
def test_other_programmes_coordinator_cannot_approve(statement, evaluator):
    signing.validate(statement, evaluator)
    stranger = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[ProgrammeFactory()])
    with pytest.raises(DomainError):
        statement_transition(actor=stranger, statement=statement, to_status=StatementStatus.APPROVED)


@pytest.mark.django_db
def test_paid_needs_date_and_reference(statement, evaluator, coordinator, treasurer):
    signing.approve(statement, evaluator, coordinator)
    with pytest.raises(DomainError) as exc:
        statement_transition(actor=treasurer, statement=statement, to_status=StatementStatus.PAID)
    assert exc.value.codes == ["payment_details_missing"]


@pytest.mark.django_db
def test_validated_statement_is_not_silently_recalculated(statement, evaluator, worked_example):
    signing.validate(statement, evaluator)
    with pytest.raises(DomainError) as exc:
        statement_calculate(programme=worked_example["programme"], **YEAR_2024)
    assert exc.value.codes == ["statement_validated"]


@pytest.mark.django_db
def test_run_computes_the_statement_eagerly(worked_example, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = run_request(actor=coordinator, programme=worked_example["programme"], **YEAR_2024)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.statement.payable == worked_example["programme"].payment_statements.get().payable


@pytest.mark.django_db
def test_run_is_idempotent(worked_example, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = run_request(actor=coordinator, programme=worked_example["programme"], **YEAR_2024)
    run_execute(run_id=run.pk)
    assert PaymentStatement.objects.count() == 1


@pytest.mark.django_db
def test_failed_run_keeps_the_reason(worked_example, coordinator, django_capture_on_commit_callbacks):
    worked_example["terms"].delete()
    with django_capture_on_commit_callbacks(execute=True):
        run = run_request(actor=coordinator, programme=worked_example["programme"], **YEAR_2024)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "maksuehtoja" in run.error
    assert not PaymentStatement.objects.exists()


@pytest.mark.django_db
def test_stuck_run_is_requeued_and_completed(worked_example, django_capture_on_commit_callbacks):
    run = PaymentRun.objects.create(
        programme=worked_example["programme"],
        status=RunStatus.RUNNING,
        started_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        **YEAR_2024,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert runs_requeue_stuck() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


@pytest.mark.django_db
def test_beat_schedules_the_previous_year_for_followed_programmes(worked_example):
    PaymentTermsFactory(
        programme=ProgrammeFactory(
            follow_up_end=D(2020, 12, 31), start_date=D(2019, 1, 1), enrollment_opens=D(2019, 1, 1)
        )
    )
    runs = runs_schedule(kind=StatementKind.ANNUAL, today=D(2025, 1, 15))
    assert [(r.programme_id, r.period_start, r.period_end) for r in runs] == [
        (worked_example["programme"].pk, D(2024, 1, 1), D(2024, 12, 31))
    ]


@pytest.mark.django_db
def test_beat_schedules_the_previous_quarter_as_preview(worked_example):
    runs = runs_schedule(kind=StatementKind.PREVIEW, today=D(2025, 4, 5))
    assert (runs[0].period_start, runs[0].period_end, runs[0].kind) == (D(2025, 1, 1), D(2025, 3, 31), "preview")


pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are what is tested")


@pg_only
@pytest.mark.django_db(transaction=True)
def test_one_run_delivered_twice_at_once_leaves_one_statement(worked_example):
    """At-least-once delivery: two workers receive the same run's message at the same moment."""
    run = PaymentRun.objects.create(programme=worked_example["programme"], **YEAR_2024)
    runs = [run, run]
    barrier = threading.Barrier(2)

    def execute(run_id):
        try:
            barrier.wait(timeout=10)
            run_execute(run_id=run_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=execute, args=(r.pk,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert PaymentStatement.objects.count() == 1
    assert set(PaymentRun.objects.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}


@pg_only
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_the_statement_through_redis(worked_example, use_broker):
    """Not eager: the task goes through Redis to a `celery worker` process reading the test database."""
    server = RedisServer()
    server.start()
    use_broker(server.url)
    worker = start_worker(server.url)
    try:
        run = run_request(actor=None, programme=worked_example["programme"], **YEAR_2024)

        def finished():
            run.refresh_from_db()
            return run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

        if not wait_for(finished) or run.status != RunStatus.SUCCEEDED:
            pytest.fail(f"run {run.status}: {run.error}\n{stop_worker(worker)[-1500:]}")
        assert run.statement.payable == Decimal("5023.88")
    finally:
        stop_worker(worker)
        server.stop()


@pytest.mark.django_db
def test_an_enrollment_queues_one_preview_run_for_the_current_quarter(
    worked_example, django_capture_on_commit_callbacks
):
    from families.services import enrollment_create
    from payments.services.runs import preview_refresh_request

    from ..factories import ChildFactory, ConsentFactory, FamilyFactory, GuardianFactory

    programme = worked_example["programme"]
    family = FamilyFactory(municipality=programme.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
    enrollment = enrollment_create(actor=None, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
    run = enrollment.preview_run
    assert (run.kind, run.status) == (StatementKind.PREVIEW, RunStatus.QUEUED)
    assert preview_refresh_request(actor=None, programme=programme) == run  # a burst costs one calculation


@pytest.mark.django_db
def test_no_preview_run_without_payment_terms(db):
    from payments.services.runs import preview_refresh_request

    assert preview_refresh_request(actor=None, programme=ProgrammeFactory()) is None


@pytest.mark.django_db
def test_an_identical_request_while_queued_returns_the_queued_run(worked_example, coordinator):
    first = run_request(actor=coordinator, programme=worked_example["programme"], **YEAR_2024)
    second = run_request(actor=coordinator, programme=worked_example["programme"], **YEAR_2024)
    assert second == first and PaymentRun.objects.count() == 1


@pytest.mark.django_db
def test_a_request_while_running_is_followed_by_one_more_run(
    worked_example, coordinator, django_capture_on_commit_callbacks
):
    running = PaymentRun.objects.create(
        programme=worked_example["programme"], status=RunStatus.RUNNING, attempts=1, **YEAR_2024
    )
    assert run_request(actor=coordinator, programme=worked_example["programme"], **YEAR_2024) == running
    PaymentRun.objects.filter(pk=running.pk).update(status=RunStatus.QUEUED)  # computed here, as by its worker
    with django_capture_on_commit_callbacks(execute=True):
        run_execute(run_id=running.pk)
    assert list(PaymentRun.objects.order_by("pk").values_list("status", flat=True)) == [
        RunStatus.SUCCEEDED,
        RunStatus.SUCCEEDED,
    ]


@pytest.mark.django_db
def test_a_run_claimed_by_a_live_worker_is_not_taken_twice(worked_example):
    run = PaymentRun.objects.create(
        programme=worked_example["programme"],
        status=RunStatus.RUNNING,
        attempts=1,
        lease_expires_at=timezone.now() + datetime.timedelta(minutes=1),
        **YEAR_2024,
    )
    assert run_execute(run_id=run.pk).status == RunStatus.RUNNING
    assert runs_requeue_stuck() == 0
    assert not PaymentStatement.objects.exists()


@pytest.mark.django_db
def test_a_queued_run_not_picked_up_is_sent_again(worked_example, django_capture_on_commit_callbacks):
    run = PaymentRun.objects.create(
        programme=worked_example["programme"], queued_at=timezone.now() - RESEND_QUEUED_AFTER, **YEAR_2024
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert runs_requeue_stuck() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


@pytest.mark.django_db
def test_a_queued_run_whose_message_waits_for_the_broker_is_not_sent_twice(worked_example):
    from sibcase.models import OutboxMessage

    run = PaymentRun.objects.create(
        programme=worked_example["programme"], queued_at=timezone.now() - RESEND_QUEUED_AFTER, **YEAR_2024
    )
    OutboxMessage.objects.create(task_name="payments.calculate_statement", kwargs={"run_id": run.pk})
    assert runs_requeue_stuck() == 0


@pytest.mark.django_db
def test_retrying_a_run_that_did_not_fail_is_refused(worked_example, coordinator):
    from payments.services.runs import run_retry

    run = run_request(actor=coordinator, programme=worked_example["programme"], **YEAR_2024)
    with pytest.raises(DomainError) as exc:
        run_retry(actor=coordinator, run=run)
    assert exc.value.codes == ["run_not_failed"]
