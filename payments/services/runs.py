"""Payment runs: requested by a coordinator or by Celery beat, computed by a worker, never two at once."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Programme
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User
from sibcase.outbox import outbox_enqueue

from ..models import PaymentRun, RunStatus, StatementKind
from .calculate import check_period, quarter_of, terms_for, true_up_period
from .statements import statement_calculate

STUCK_AFTER = datetime.timedelta(minutes=30)
# The Celery task that executes a run (payments/tasks.py); the outbox names it by this.
CALCULATE_TASK = "payments.calculate_statement"


def run_request(
    *, actor: User | None, programme: Programme, kind: str, period_start: datetime.date, period_end: datetime.date
) -> PaymentRun:
    """Record a run and hand it to the workers after commit (via the outbox, so a Redis outage loses nothing)."""
    if kind not in StatementKind.values:
        raise DomainError(Problem("invalid_kind", _("Tuntematon laskelman laji.")))
    if kind == StatementKind.TRUE_UP:
        if (period_start, period_end) != true_up_period(programme):
            raise DomainError(Problem("invalid_period", _("Lopputilitys kattaa ohjelman koko seurannan.")))
    else:
        check_period(period_start, period_end)
    with transaction.atomic():
        run = PaymentRun.objects.create(
            programme=programme, kind=kind, period_start=period_start, period_end=period_end, requested_by=actor
        )
        outbox_enqueue(task_name=CALCULATE_TASK, run_id=run.pk)
        audit_record(
            actor=actor, event_type="payment_run.requested", obj=run, new={"period_start": period_start, "kind": kind}
        )
    return run


def preview_refresh_request(
    *, actor: User | None, programme: Programme, today: datetime.date | None = None
) -> PaymentRun | None:
    """After a change to the cohort, recalculate the current quarter's preview in the background.

    Skipped (None) when the quarter is outside the programme's follow-up or no payment terms cover it; a run
    already queued for the same quarter is reused, so a burst of enrollments costs one calculation.
    Call inside the caller's transaction: the run is handed to the workers after commit, through the outbox.
    """
    start, end = quarter_of(today or timezone.localdate())
    if start > programme.follow_up_end or end < programme.start_date:
        return None
    try:
        terms_for(programme=programme, period_start=start, period_end=end)
    except DomainError:
        return None  # no terms: nothing to calculate, which is not an error of the enrollment
    queued = PaymentRun.objects.filter(
        programme=programme, kind=StatementKind.PREVIEW, period_start=start, period_end=end, status=RunStatus.QUEUED
    ).first()
    if queued is not None:
        return queued
    return run_request(actor=actor, programme=programme, kind=StatementKind.PREVIEW, period_start=start, period_end=end)


def run_execute(*, run_id: int) -> PaymentRun | None:
    """Compute the run's statement. Idempotent: a finished run is left as it is.

    The programme row is locked for the whole computation, so two runs for the same programme never overlap,
    and the statement is written in the same transaction: a worker killed midway leaves no partial statement.
    """
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            return run
        run.status, run.started_at, run.attempts = RunStatus.RUNNING, timezone.now(), run.attempts + 1
        run.save(update_fields=["status", "started_at", "attempts"])
    try:
        with transaction.atomic():
            programme = Programme.objects.select_for_update().get(pk=run.programme_id)
            statement = statement_calculate(
                programme=programme,
                kind=run.kind,
                period_start=run.period_start,
                period_end=run.period_end,
                actor=run.requested_by,
            )
            run.status, run.statement, run.finished_at, run.error = RunStatus.SUCCEEDED, statement, timezone.now(), ""
            run.save(update_fields=["status", "statement", "finished_at", "error"])
    except DomainError as exc:
        run_fail(run_id=run.pk, error="; ".join(exc.messages))
    return PaymentRun.objects.get(pk=run.pk)


def run_fail(*, run_id: int, error: str) -> None:
    PaymentRun.objects.filter(pk=run_id).update(
        status=RunStatus.FAILED, error=error[:5000] or "?", finished_at=timezone.now()
    )


def runs_requeue_stuck(*, now: datetime.datetime | None = None) -> int:
    """Runs left 'running' by a worker that died are handed to the workers again."""
    now = now or timezone.now()
    stuck = list(
        PaymentRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=now - STUCK_AFTER).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        PaymentRun.objects.filter(pk__in=stuck).update(status=RunStatus.QUEUED)
        for run_id in stuck:
            outbox_enqueue(task_name=CALCULATE_TASK, run_id=run_id)
    return len(stuck)


def runs_schedule(*, kind: str, today: datetime.date | None = None, actor: User | None = None) -> list[PaymentRun]:
    """Beat's entry point: the previous year (annual) or quarter (preview) for every programme still followed."""
    today = today or timezone.localdate()
    if kind == StatementKind.ANNUAL:
        start, end = datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    else:
        start, end = quarter_of(quarter_of(today)[0] - datetime.timedelta(days=1))
    programmes = Programme.objects.filter(start_date__lte=end, follow_up_end__gte=start)
    return [run_request(actor=actor, programme=p, kind=kind, period_start=start, period_end=end) for p in programmes]
