"""Time the payment calculation against one hand-written SQL aggregate over the same rows, in the same run.

    .venv/bin/python bench/seed_scale.py        # once: 100,000 children, 1,000,000 observations
    .venv/bin/python bench/payment_job.py       # prints both timings, their ratio, and checks they agree

"job" is `statement_calculate` for the 2024 annual statement (all of it: terms, cohort exposure, metric lines
with versioned unit costs, and writing the statement and its lines). "raw" is one SQL statement computing the
same exposure and actual cost directly. Goal: job ≤ 2 × raw.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from _common import machine, setup_django, timed

RAW_SQL = """
WITH cohort AS (
    SELECT ec.child_id, MIN(e.enrolled_on) AS cohort_start
    FROM families_enrollment e JOIN families_enrollment_children ec ON ec.enrollment_id = e.id
    WHERE e.programme_id = %(programme)s AND e.status <> 'waitlisted'
    GROUP BY ec.child_id
), exposure AS (
    SELECT COUNT(*) AS children, SUM(%(last_day)s::date - GREATEST(cohort_start, %(start)s::date) + 1) AS days
    FROM cohort WHERE cohort_start <= %(last_day)s::date
), lines AS (
    SELECT o.metric_id, uc.valid_from, uc.unit_cost, SUM(o.value) AS quantity
    FROM outcomes_outcomeobservation o
    JOIN outcomes_outcomemetric m ON m.id = o.metric_id AND m.programme_id = %(programme)s AND m.is_cost_bearing
    JOIN cohort c ON c.child_id = o.child_id AND o.period_start >= c.cohort_start
    JOIN LATERAL (
        SELECT valid_from, unit_cost FROM outcomes_metricunitcost
        WHERE metric_id = o.metric_id AND valid_from <= o.period_start ORDER BY valid_from DESC LIMIT 1
    ) uc ON TRUE
    WHERE o.period_start BETWEEN %(start)s::date AND %(last_day)s::date
    GROUP BY o.metric_id, uc.valid_from, uc.unit_cost
)
SELECT (SELECT children FROM exposure), (SELECT days FROM exposure),
       (SELECT json_agg(json_build_object('q', quantity, 'c', unit_cost)) FROM lines)
"""


def main() -> None:
    setup_django()
    from django.db import connection

    from payments.models import PaymentStatement, StatementKind
    from payments.services.statements import statement_calculate
    from programs.models import Programme

    programme = Programme.objects.get(code="bench-helsinki")
    start, end = datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)
    PaymentStatement.objects.filter(programme=programme).delete()

    def job():
        return statement_calculate(programme=programme, kind=StatementKind.ANNUAL, period_start=start, period_end=end)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, {"programme": programme.pk, "start": start, "last_day": end})
            return cursor.fetchone()

    job()  # warm caches the same way for both
    raw()
    job_s, statement = timed(job)
    raw_s, (children, days, lines) = timed(raw)
    actual = sum(
        (
            (Decimal(str(line["q"])) * Decimal(str(line["c"]))).quantize(Decimal("0.01"), ROUND_HALF_UP)
            for line in lines or []
        ),
        Decimal("0.00"),
    )
    observations = sum(line.observation_count for line in statement.lines.all())
    print(f"machine: {machine()}")
    print(f"cohort: {statement.child_count} children, {observations} observations counted in 2024")
    print(
        f"job (statement_calculate): {job_s * 1000:.0f} ms   raw SQL aggregate: {raw_s * 1000:.0f} ms   ratio: {job_s / raw_s:.2f}"
    )
    agree = (
        statement.child_count == children
        and statement.inputs["exposure_days"] == days
        and statement.actual_cost == actual
    )
    print(f"results agree: {agree} (children {children}, exposure days {days}, actual cost {actual} EUR)")


if __name__ == "__main__":
    main()
