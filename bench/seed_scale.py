"""Seed the benchmark database with N children, their observations and episodes, quickly (COPY).

    .venv/bin/python bench/seed_scale.py                      # 100,000 children, 1,000,000 observations, 300,000 episodes
    .venv/bin/python bench/seed_scale.py --children 100 --observations 1000 --episodes 300 --database-url postgres://postgres@127.0.0.1:5432/sibcase_bench_small

The database is created and migrated if needed, and the demo's reference data and logins are seeded first. Rows
follow the model layer's rules: identity codes are made and checked by families.identity (temporary individual
numbers 900-999 only, none equal to a code already in the database), and the database's own constraints check
every COPYed row: the seeded tables' foreign keys, unique constraints and indexes are dropped for the COPY and
re-created afterwards (each checked in one pass), rows go in chunks of 200,000, so memory stays flat.

    .venv/bin/python bench/seed_scale.py --children 1000000 --observations 10000000 --episodes 3000000
"""

from __future__ import annotations

import argparse
import datetime
import io
import random
import subprocess
import time
from decimal import Decimal

from _common import BENCH_DATABASE_URL, setup_django

PROGRAMME_CODE = "bench-helsinki"
# 100 people a birth day: 1M children span 27 years from 1990, 667k guardians 18 years from 1940. The demo's
# random births may fall in these ranges too: codes already in the database are skipped (`people`).
CHILDREN_BORN_FROM = datetime.date(1990, 1, 1)
GUARDIANS_BORN_FROM = datetime.date(1940, 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--episodes", type=int, default=300_000)
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--seed", type=int, default=2032)
    args = parser.parse_args()
    name = args.database_url.rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False, capture_output=True)  # noqa: S603, S607
    setup_django(args.database_url)

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    programme, metrics, service = _reference()
    seeded = _seed(programme, metrics, service, args)
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"seeded {seeded} in {time.perf_counter() - started:.1f} s into {name}; peak memory of this process {peak:.0f} MiB"
    )


def _reference():
    from outcomes.models import MetricUnitCost, OutcomeMetric
    from payments.models import PaymentTerms
    from programs.models import Programme

    helsinki = Programme.objects.get(code="helsinki-perheen-mukana")
    programme, _ = Programme.objects.update_or_create(
        code=PROGRAMME_CODE,
        defaults={
            "municipality": helsinki.municipality,
            "fund": helsinki.fund,
            "name_fi": "Suorituskykytesti",
            "name_sv": "Prestandatest",
            "name_en": "Benchmark",
            "target_group": "Benchmark cohort",
            "start_date": datetime.date(2020, 1, 1),
            "enrollment_opens": datetime.date(2020, 1, 1),
            "follow_up_end": datetime.date(2032, 12, 31),
        },
    )
    service = helsinki.services.exclude(provider=None).first()  # Perhekumppani, delivered by SOS-Lapsikylä
    programme.services.add(service)
    metrics = []
    for code, costs in {
        "out_of_home_care_days": [("2019-01-01", "330.00"), ("2024-07-01", "360.00")],
        "emergency_placements": [("2019-01-01", "7500.00")],
        "open_care_months": [("2019-01-01", "560.00")],
        "psychiatric_inpatient_days": [("2019-01-01", "950.00")],
    }.items():
        metric, _ = OutcomeMetric.objects.update_or_create(
            programme=programme,
            code=code,
            defaults={"name_fi": code, "name_sv": code, "name_en": code, "unit": "day", "is_cost_bearing": True},
        )
        for valid_from, cost in costs:
            MetricUnitCost.objects.update_or_create(
                metric=metric, valid_from=datetime.date.fromisoformat(valid_from), defaults={"unit_cost": Decimal(cost)}
            )
        metrics.append(metric)
    PaymentTerms.objects.update_or_create(
        programme=programme,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"baseline_cost_per_child_year": Decimal("6500.00"), "savings_share": Decimal("0.5000")},
    )
    return programme, metrics, service


CHUNK = 200_000  # rows per COPY: memory stays flat whatever the number of rows


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    rows = iter(rows)
    while True:
        buffer = io.StringIO()
        n = 0
        for row in rows:
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
            n += 1
            if n == CHUNK:
                break
        if not n:
            return count
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        count += n
        if n < CHUNK:
            return count


SEEDED_TABLES = [
    "families_family",
    "families_child",
    "families_guardian",
    "families_enrollment",
    "families_enrollment_children",
    "outcomes_outcomeobservation",
    "outcomes_serviceepisode",
]


def _drop_keys(cursor) -> list[str]:
    """Drop the seeded tables' foreign keys, unique constraints and plain indexes (not the primary keys and
    checks), returning the statements that put them back. Re-created after the COPY, they are checked set-based
    in one pass each, instead of one deferred trigger event per row (10M events held in memory) and one index
    insertion per row and index."""
    restore, drop = [], []
    cursor.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint
           WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY contype DESC""",
        [SEEDED_TABLES],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
           WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [SEEDED_TABLES],
    )
    indexes = cursor.fetchall()
    # Foreign keys first (other tables' keys may reference these tables' unique constraints: none do here).
    for table, name, _definition, _kind in sorted(constraints, key=lambda c: c[3] != "f"):
        drop.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, definition in indexes:
        drop.append(f"DROP INDEX {name}")
        restore.append(definition)
    for table, name, definition, _kind in sorted(constraints, key=lambda c: c[3] == "f"):  # unique before foreign
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for statement in drop:
        cursor.execute(statement)
    return restore


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - table names are constants
    return cursor.fetchone()[0]


def _seed(programme, metrics, service, args) -> str:
    from django.db import connection, transaction

    from families.identity import make_temporary_identity_code, validate_identity_code

    rng = random.Random(args.seed)
    n_children = args.children
    n_families = max(1, round(n_children / 1.5))
    now = datetime.datetime.now(datetime.UTC).isoformat()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        family0, child0 = _next_id(cursor, "families_family"), _next_id(cursor, "families_child")
        guardian0, enrollment0 = _next_id(cursor, "families_guardian"), _next_id(cursor, "families_enrollment")
        restore = _drop_keys(cursor)
        districts = ["Vuosaari", "Mellunkylä", "Kontula", "Myllypuro"]
        _copy(
            raw,
            "families_family",
            ["id", "reference", "postal_code", "district", "service_language", "created_at", "municipality_id"],
            (
                (family0 + i, f"B-{family0 + i:08d}", "00980", districts[i % 4], "fi", now, programme.municipality_id)
                for i in range(n_families)
            ),
        )
        cursor.execute("SELECT identity_code FROM families_child UNION SELECT identity_code FROM families_guardian")
        taken = {row[0] for row in cursor.fetchall()}

        def people(first_birth: datetime.date, count: int):
            """(birth date, identity code) for `count` people: 100 a day (individual numbers 900-999) from
            `first_birth`, skipping every code already in the database (the demo's random births)."""
            birth, made = first_birth, 0
            while True:
                for individual in range(900, 1000):
                    value = make_temporary_identity_code(birth, individual)
                    if value in taken:
                        continue
                    yield birth, validate_identity_code(value)
                    made += 1
                    if made == count:
                        return
                birth += datetime.timedelta(days=1)

        child_family = [family0 + (i % n_families) for i in range(n_children)]
        _copy(
            raw,
            "families_child",
            ["id", "first_names", "last_name", "identity_code", "birth_date", "family_id"],
            (
                (child0 + i, f"Lapsi{i}", f"Suku{i % 5000}", code, birth, child_family[i])
                for i, (birth, code) in enumerate(people(CHILDREN_BORN_FROM, n_children))
            ),
        )
        _copy(
            raw,
            "families_guardian",
            [
                "id",
                "first_names",
                "last_name",
                "identity_code",
                "birth_date",
                "employment_status",
                "phone",
                "email",
                "family_id",
            ],
            (
                (guardian0 + i, f"Huoltaja{i}", f"Suku{i % 5000}", code, birth, "unemployed", "", "", family0 + i)
                for i, (birth, code) in enumerate(people(GUARDIANS_BORN_FROM, n_families))
            ),
        )
        enrolled_on = [
            datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(4 * 365)) for _ in range(n_families)
        ]
        _copy(
            raw,
            "families_enrollment",
            [
                "id",
                "enrolled_on",
                "activated_on",
                "status",
                "exit_reason",
                "exit_note",
                "recorded_at",
                "backdating_reason",
                "programme_id",
                "family_id",
            ],
            (
                (enrollment0 + i, enrolled_on[i], enrolled_on[i], "active", "", "", now, "", programme.pk, family0 + i)
                for i in range(n_families)
            ),
        )
        _copy(
            raw,
            "families_enrollment_children",
            ["enrollment_id", "child_id"],
            ((enrollment0 + (child_family[i] - family0), child0 + i) for i in range(n_children)),
        )
        metric_ids = [m.pk for m in metrics]
        _copy(
            raw,
            "outcomes_outcomeobservation",
            [
                "period_start",
                "period_end",
                "value",
                "source",
                "external_id",
                "void_reason",
                "recorded_at",
                "child_id",
                "metric_id",
            ],
            (
                (
                    start,
                    start,
                    rng.randint(1, 10),
                    "register_extract",
                    f"R{number}",  # the extract's row id: random draws may repeat a (child, metric, day)
                    "",
                    now,
                    child0 + rng.randrange(n_children),
                    rng.choice(metric_ids),
                )
                for number, start in enumerate(
                    datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(6 * 365))
                    for _ in range(args.observations)
                )
            ),
        )
        _copy(
            raw,
            "outcomes_serviceepisode",
            [
                "start_date",
                "end_date",
                "status",
                "recorded_at",
                "enrollment_id",
                "family_id",
                "provider_id",
                "service_id",
            ],
            (
                (
                    enrolled_on[f] + datetime.timedelta(days=30),
                    None,
                    "active",
                    now,
                    enrollment0 + f,
                    family0 + f,
                    service.provider_id,
                    service.pk,
                )
                for f in (rng.randrange(n_families) for _ in range(args.episodes))
            ),
        )
        started = time.perf_counter()
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in restore:
            cursor.execute(statement)
        print(f"keys and indexes re-created and checked in {time.perf_counter() - started:.1f} s")
        for table in SEEDED_TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return f"{n_families} families, {n_children} children, {args.observations} observations, {args.episodes} episodes"


if __name__ == "__main__":
    main()
