"""Payment runs: requested by a coordinator or by Celery beat, computed by a worker, never two at once."""

from __future__ import annotations

import datetime
import logging
import threading
import zlib

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Programme
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import OutboxMessage, OutboxStatus, User
from sibcase.outbox import outbox_enqueue

from ..models import PaymentRun, RunStatus, StatementKind
from .calculate import check_period, quarter_of, terms_for, true_up_period
from .statements import statement_calculate

# A running run belongs to its worker for LEASE; the worker's heartbeat renews it every HEARTBEAT while it computes.
# A worker that died (SIGKILL, lost host, a retry waiting for the database) stops renewing, and the sweep (beat,
# every 30 s) hands the run on within LEASE + 30 s.
LEASE = datetime.timedelta(seconds=60)
HEARTBEAT = datetime.timedelta(seconds=15)
# A queued run that no worker has taken within this time is sent again (the broker may have lost the message).
RESEND_QUEUED_AFTER = datetime.timedelta(minutes=5)
# Executions begun (claims by a worker); after this many the run fails for the coordinator to retry.
MAX_ATTEMPTS = 3
# The Celery task that executes a run (payments/tasks.py); the outbox names it by this.
CALCULATE_TASK = "payments.calculate_statement"
# First key of pg_advisory_xact_lock(int, int) for a calculation; the second is a hash of programme, kind, period.
_CALCULATION_LOCK_SPACE = 0x53494252  # "SIBR"

logger = logging.getLogger(__name__)

OPEN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class _LeaseLost(Exception):
    """The run was handed to another worker while this one computed: its result is discarded."""


def run_request(
    *,
    actor: User | None,
    programme: Programme,
    kind: str,
    period_start: datetime.date,
    period_end: datetime.date,
    retry_of: PaymentRun | None = None,
) -> PaymentRun:
    """Record a run and hand it to the workers after commit (via the outbox, so a Redis outage loses nothing).

    Identical requests merge: while a run of the same programme, kind and period is queued, that run is returned;
    while one is running (it may have read the data before this request's change), it is marked to be followed by
    one more run, and returned. The database allows one open run per period (constraint run_one_open_per_period).
    Never waits for a calculation: nothing here locks the programme.
    """
    if kind not in StatementKind.values:
        raise DomainError(Problem("invalid_kind", _("Tuntematon laskelman laji.")))
    if kind == StatementKind.TRUE_UP:
        if (period_start, period_end) != true_up_period(programme):
            raise DomainError(Problem("invalid_period", _("Lopputilitys kattaa ohjelman koko seurannan.")))
    else:
        check_period(period_start, period_end)
    period = {"programme": programme, "kind": kind, "period_start": period_start, "period_end": period_end}
    with transaction.atomic():
        for _attempt in range(3):
            open_run = PaymentRun.objects.select_for_update().filter(status__in=OPEN_STATUSES, **period).first()
            if open_run is not None:
                return _run_merge(actor=actor, run=open_run)
            try:
                with transaction.atomic():
                    run = PaymentRun.objects.create(
                        requested_by=actor, queued_at=timezone.now(), retry_of=retry_of, **period
                    )
            except IntegrityError:
                continue  # a parallel request created the open run first: merge with it
            outbox_enqueue(task_name=CALCULATE_TASK, run_id=run.pk)
            audit_record(
                actor=actor,
                event_type="payment_run.requested",
                obj=run,
                new={"period_start": period_start, "kind": kind, "retry_of": retry_of.pk if retry_of else None},
            )
            return run
    raise RuntimeError("payment run request did not settle")  # pragma: no cover - three conflicting races


def _run_merge(*, actor: User | None, run: PaymentRun) -> PaymentRun:
    """A request identical to an open run: the open run answers it (locked by the caller)."""
    if run.status == RunStatus.RUNNING and not run.rerun_requested:
        run.rerun_requested = True
        run.save(update_fields=["rerun_requested"])
    audit_record(
        actor=actor, event_type="payment_run.request_merged", obj=run, new={"rerun_requested": run.rerun_requested}
    )
    return run


def run_retry(*, actor: User, run: PaymentRun) -> PaymentRun:
    """The coordinator's retry of a failed run: a fresh run (with fresh attempts) for the same period."""
    if run.status != RunStatus.FAILED:
        raise DomainError(Problem("run_not_failed", _("Vain epäonnistuneen laskennan voi yrittää uudelleen.")))
    with transaction.atomic():
        fresh = run_request(
            actor=actor,
            programme=run.programme,
            kind=run.kind,
            period_start=run.period_start,
            period_end=run.period_end,
            retry_of=run,
        )
        audit_record(actor=actor, event_type="payment_run.retried", obj=run, new={"retry": fresh.pk})
    return fresh


def preview_refresh_request(
    *, actor: User | None, programme: Programme, today: datetime.date | None = None
) -> PaymentRun | None:
    """After a change to the cohort, recalculate the current quarter's preview in the background.

    Skipped (None) when the quarter is outside the programme's follow-up or no payment terms cover it; an open run
    for the same quarter answers the request (see run_request), so a burst of enrollments costs one calculation,
    and a change made while the preview computes is followed by one more run.
    Call inside the caller's transaction: the run is handed to the workers after commit, through the outbox.
    """
    start, end = quarter_of(today or timezone.localdate())
    if start > programme.follow_up_end or end < programme.start_date:
        return None
    try:
        terms_for(programme=programme, period_start=start, period_end=end)
    except DomainError:
        return None  # no terms: nothing to calculate, which is not an error of the enrollment
    return run_request(actor=actor, programme=programme, kind=StatementKind.PREVIEW, period_start=start, period_end=end)


def _calculation_lock(run: PaymentRun) -> None:
    """Serialise calculations of one programme, kind and period for the rest of the transaction.

    A PostgreSQL advisory transaction lock: it locks no row, so enrollments and run requests never wait for a
    calculation; it is released at commit or rollback, and when the worker's session dies. SQLite (the demo)
    serialises its writers anyway.
    """
    if connection.vendor != "postgresql":
        return
    key = f"{run.programme_id}:{run.kind}:{run.period_start.isoformat()}:{run.period_end.isoformat()}"
    objid = zlib.crc32(key.encode()) - 2**31  # into PostgreSQL's signed int4
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CALCULATION_LOCK_SPACE, objid])


class _Heartbeat(threading.Thread):
    """Renews the run's lease every HEARTBEAT, on a connection of its own, while the calculation runs."""

    def __init__(self, *, run_id: int, attempt: int) -> None:
        super().__init__(name=f"run-{run_id}-heartbeat", daemon=True)
        self.run_id, self.attempt = run_id, attempt
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT.total_seconds()):
                try:
                    PaymentRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING, attempts=self.attempt).update(
                        lease_expires_at=timezone.now() + LEASE
                    )
                except DatabaseError as exc:  # the lease runs out, and the sweep takes over: that is the design
                    logger.warning("payment run %s: heartbeat failed: %s", self.run_id, type(exc).__name__)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=HEARTBEAT.total_seconds() + 5)


def _run_claim(*, run_id: int) -> tuple[PaymentRun | None, bool]:
    """Take the run for this worker: (run, True) when it is ours to compute now."""
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            return run, False
        now = timezone.now()
        if run.status == RunStatus.RUNNING and run.lease_expires_at and run.lease_expires_at > now:
            return run, False  # a second delivery of the message while a live worker computes it
        if run.attempts >= MAX_ATTEMPTS:
            _run_give_up(run=run)
            return run, False
        run.status, run.started_at, run.attempts = RunStatus.RUNNING, now, run.attempts + 1
        run.lease_expires_at = now + LEASE
        run.save(update_fields=["status", "started_at", "attempts", "lease_expires_at"])
    return run, True


def run_execute(*, run_id: int) -> PaymentRun | None:
    """Compute the run's statement. Idempotent: a finished run, or one a live worker holds, is left as it is.

    Calculations of the same period are serialised by an advisory lock (not the programme row, so enrollments go
    on meanwhile), and the statement is written in the same transaction as the run's success: a worker killed
    midway leaves no partial statement, and its run is taken over when its lease runs out.
    """
    run, ours = _run_claim(run_id=run_id)
    if not ours:
        return run
    heartbeat = _Heartbeat(run_id=run.pk, attempt=run.attempts)
    heartbeat.start()
    try:
        with transaction.atomic():
            _calculation_lock(run)
            programme = Programme.objects.get(pk=run.programme_id)
            statement = statement_calculate(
                programme=programme,
                kind=run.kind,
                period_start=run.period_start,
                period_end=run.period_end,
                actor=run.requested_by,
            )
            current = PaymentRun.objects.select_for_update().get(pk=run.pk)
            if current.status != RunStatus.RUNNING or current.attempts != run.attempts:
                raise _LeaseLost
            current.status, current.statement, current.finished_at = RunStatus.SUCCEEDED, statement, timezone.now()
            current.error, current.lease_expires_at = "", None
            current.save(update_fields=["status", "statement", "finished_at", "error", "lease_expires_at"])
            if current.rerun_requested:
                _run_follow_up(run=current)
    except _LeaseLost:
        logger.warning("payment run %s: lease lost to another worker, result discarded", run.pk)
    except DomainError as exc:
        run_fail(run_id=run.pk, error="; ".join(exc.messages))
    finally:
        heartbeat.stop()
    return PaymentRun.objects.get(pk=run.pk)


def _run_follow_up(*, run: PaymentRun) -> PaymentRun:
    """The run finished, but a change came in while it computed: one more run for the same period."""
    follow_up = PaymentRun.objects.create(
        programme_id=run.programme_id,
        kind=run.kind,
        period_start=run.period_start,
        period_end=run.period_end,
        requested_by=run.requested_by,
        queued_at=timezone.now(),
    )
    outbox_enqueue(task_name=CALCULATE_TASK, run_id=follow_up.pk)
    audit_record(actor=None, event_type="payment_run.requested", obj=follow_up, new={"follows": run.pk})
    return follow_up


def run_fail(*, run_id: int, error: str) -> None:
    """An open run ends as failed, with its reason for the coordinator; a finished run is left as it is."""
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().filter(pk=run_id, status__in=OPEN_STATUSES).first()
        if run is None:
            return
        run.status, run.error, run.finished_at, run.lease_expires_at = (
            RunStatus.FAILED,
            error[:5000] or "?",
            timezone.now(),
            None,
        )
        run.save(update_fields=["status", "error", "finished_at", "lease_expires_at"])
        audit_record(actor=None, event_type="payment_run.failed", obj=run, new={"error": run.error[:500]})


def _run_give_up(*, run: PaymentRun) -> None:
    run_fail(
        run_id=run.pk,
        error=str(
            _("Laskenta keskeytyi %(n)s kertaa (työprosessi pysähtyi tai tietokanta ei vastannut).")
            % {"n": run.attempts}
        ),
    )


def runs_requeue_stuck(*, now: datetime.datetime | None = None) -> int:
    """The sweep (beat, every 30 s): runs nobody is working on are handed to the workers again.

    A running run whose lease ran out (its worker died, or waits for the database) is queued again, or fails after
    MAX_ATTEMPTS; a queued run not taken within RESEND_QUEUED_AFTER is sent again (the broker may have lost it),
    unless its message still waits in the outbox for the broker to come back. Returns the number handed on.
    """
    now = now or timezone.now()
    handed_on = 0
    with transaction.atomic():
        expired = (
            PaymentRun.objects.select_for_update(skip_locked=True)
            .filter(status=RunStatus.RUNNING)
            .filter(Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, started_at__lt=now - LEASE))
        )
        for run in expired:
            if run.attempts >= MAX_ATTEMPTS:
                _run_give_up(run=run)
                continue
            run.status, run.queued_at, run.lease_expires_at = RunStatus.QUEUED, now, None
            run.save(update_fields=["status", "queued_at", "lease_expires_at"])
            outbox_enqueue(task_name=CALCULATE_TASK, run_id=run.pk)
            audit_record(actor=None, event_type="payment_run.requeued", obj=run, new={"reason": "lease_expired"})
            handed_on += 1
        waiting_for_broker = {
            kwargs.get("run_id")
            for kwargs in OutboxMessage.objects.filter(
                status=OutboxStatus.PENDING, task_name=CALCULATE_TASK
            ).values_list("kwargs", flat=True)
        }
        unclaimed = (
            PaymentRun.objects.select_for_update(skip_locked=True)
            .filter(status=RunStatus.QUEUED)
            .filter(Q(queued_at__lt=now - RESEND_QUEUED_AFTER) | Q(queued_at__isnull=True))
            .exclude(pk__in=waiting_for_broker - {None})
        )
        for run in unclaimed:
            run.queued_at = now
            run.save(update_fields=["queued_at"])
            outbox_enqueue(task_name=CALCULATE_TASK, run_id=run.pk)
            audit_record(actor=None, event_type="payment_run.requeued", obj=run, new={"reason": "not_picked_up"})
            handed_on += 1
    return handed_on


def runs_schedule(*, kind: str, today: datetime.date | None = None, actor: User | None = None) -> list[PaymentRun]:
    """Beat's entry point: the previous year (annual) or quarter (preview) for every programme still followed."""
    today = today or timezone.localdate()
    if kind == StatementKind.ANNUAL:
        start, end = datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    else:
        start, end = quarter_of(quarter_of(today)[0] - datetime.timedelta(days=1))
    programmes = Programme.objects.filter(start_date__lte=end, follow_up_end__gte=start)
    return [run_request(actor=actor, programme=p, kind=kind, period_start=start, period_end=end) for p in programmes]
