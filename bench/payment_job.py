"""The payment job against a set-based SQL reference written independently of the job's queries, interleaved.

    .venv/bin/python bench/seed_scale.py --children 10000 --observations 100000 --episodes 30000 \\
        --database-url postgres://postgres@127.0.0.1:5432/sibcase_bench_10k
    .venv/bin/python bench/payment_job.py --database-url postgres://postgres@127.0.0.1:5432/sibcase_bench_10k

"job" is `statement_calculate` for the 2024 annual statement of the benchmark programme (all of it: terms, cohort
exposure, metric lines with versioned unit costs, writing the statement and its lines, the audit row, the commit).
After the warm-up every timed round recalculates the draft in place, the heavier path (the previous lines are read
for the diff and deleted); only the call is timed, the comparison below is not. "reference"
is one SQL statement computing the same figures its own way: the cohort as MIN(activated_on) per child, the
observations joined to it, and each observation's unit cost found by a *range join* against the unit-cost
versions turned into [valid_from, next valid_from) ranges with LEAD(), instead of the job's per-observation lookup.
Every statement line (metric, unit-cost version, unit cost, observation count, quantity, amount) and the cohort
figures are compared for equality; any difference stops the script. The two are run alternately (job, reference,
job, reference, ...), the medians reported with the median of the per-round ratios. Peak memory: this process
(the worker running the job: ru_maxrss) and the database backend serving it (VmHWM of its process, which counts
the shared buffers it touched as well as its private memory), plus the temporary-file bytes the database wrote
(sorts or hashes spilling to disk). Goal: job ≤ 1.5 × reference.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import statistics
import time
from decimal import Decimal

from _common import BENCH_DATABASE_URL, machine, setup_django

REFERENCE_SQL = """
WITH versions AS (
    SELECT metric_id, valid_from, unit_cost,
           LEAD(valid_from) OVER (PARTITION BY metric_id ORDER BY valid_from) AS valid_until
    FROM outcomes_metricunitcost
), cohort AS (
    SELECT ec.child_id, MIN(e.activated_on) AS cohort_start
    FROM families_enrollment e JOIN families_enrollment_children ec ON ec.enrollment_id = e.id
    WHERE e.programme_id = %(programme)s AND e.activated_on IS NOT NULL
    GROUP BY ec.child_id
), exposure AS (
    SELECT COUNT(*) AS children, COALESCE(SUM(%(last_day)s::date - GREATEST(cohort_start, %(start)s::date) + 1), 0) AS days
    FROM cohort WHERE cohort_start <= %(last_day)s::date
), lines AS (
    SELECT o.metric_id, v.valid_from, v.unit_cost, COUNT(*) AS observations, SUM(o.value) AS quantity
    FROM outcomes_outcomeobservation o
    JOIN outcomes_outcomemetric m ON m.id = o.metric_id AND m.programme_id = %(programme)s AND m.is_cost_bearing
    JOIN cohort c ON c.child_id = o.child_id AND o.period_start >= c.cohort_start
    JOIN versions v ON v.metric_id = o.metric_id AND o.period_start >= v.valid_from
                   AND (v.valid_until IS NULL OR o.period_start < v.valid_until)
    WHERE o.voided_at IS NULL AND o.period_start BETWEEN %(start)s::date AND %(last_day)s::date
    GROUP BY o.metric_id, v.valid_from, v.unit_cost
)
SELECT (SELECT children FROM exposure), (SELECT days FROM exposure),
       (SELECT json_agg(json_build_array(metric_id, valid_from, unit_cost::text, observations, quantity::text,
                                         ROUND(quantity * unit_cost, 2)::text)
                        ORDER BY metric_id, valid_from) FROM lines)
"""


def _backend_peak_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection

    from payments.models import LineKind, PaymentStatement, StatementKind
    from payments.services.statements import statement_calculate
    from programs.models import Programme

    programme = Programme.objects.get(code="bench-helsinki")
    start, end = datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)
    last_day = min(end, programme.follow_up_end)
    PaymentStatement.objects.filter(programme=programme).delete()

    def job():
        return statement_calculate(programme=programme, kind=StatementKind.ANNUAL, period_start=start, period_end=end)

    def reference():
        with connection.cursor() as cursor:
            cursor.execute(REFERENCE_SQL, {"programme": programme.pk, "start": start, "last_day": last_day})
            return cursor.fetchone()

    def compare(statement, result) -> None:
        children, days, lines = result
        expected = [
            (m, datetime.date.fromisoformat(v), Decimal(c), n, Decimal(q), Decimal(a))
            for m, v, c, n, q, a in lines or []
        ]
        got = [
            (ln.metric_id, ln.unit_cost_valid_from, ln.unit_cost, ln.observation_count, ln.quantity, ln.amount)
            for ln in statement.lines.filter(kind=LineKind.METRIC).order_by("metric_id", "unit_cost_valid_from")
        ]
        if (statement.child_count, statement.inputs["exposure_days"], got) != (children, days, expected):
            raise SystemExit(
                f"DIFFERENT: job {statement.child_count}, {statement.inputs['exposure_days']}, {got}\n"
                f"reference {children}, {days}, {expected}"
            )

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_database()")
        backend, database = cursor.fetchone()

    def temp_bytes() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]

    compare(job(), reference())  # warm both the same way, and check before timing
    job_times, ref_times = [], []
    spilled = temp_bytes()
    for _ in range(args.rounds):
        began = time.perf_counter()
        statement = job()
        job_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        result = reference()
        ref_times.append(time.perf_counter() - began)
        compare(statement, result)
    spilled = temp_bytes() - spilled
    observations = sum(line.observation_count for line in statement.lines.all())
    job_s, ref_s = statistics.median(job_times), statistics.median(ref_times)
    ratios = [j / r for j, r in zip(job_times, ref_times, strict=True)]
    print(f"machine: {machine()}; database {database}")
    print(
        f"cohort: {statement.child_count} children, {statement.inputs['exposure_days']} exposure days, "
        f"{observations} observations counted in 2024, {statement.lines.count()} lines"
    )
    print(
        f"job (statement_calculate): median {job_s * 1000:.0f} ms   reference SQL: median {ref_s * 1000:.0f} ms   "
        f"ratio of medians {job_s / ref_s:.2f}   median ratio {statistics.median(ratios):.2f}   "
        f"({args.rounds} interleaved rounds)"
    )
    print("every line and the cohort figures equal in every round: yes")
    print(
        f"peak memory: worker {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
        f"database backend {_backend_peak_kib(backend) / 1024:.0f} MiB (VmHWM, incl. shared buffers touched); "
        f"temporary files written during the rounds: {spilled / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
