"""Seed the benchmark database with N children, their observations and episodes, quickly (COPY).

    .venv/bin/python bench/seed_scale.py                      # 100,000 children, 1,000,000 observations, 300,000 episodes
    .venv/bin/python bench/seed_scale.py --children 100 --observations 1000 --episodes 300 --database-url postgres://postgres@127.0.0.1:5432/sibcase_bench_small

The database is created and migrated if needed, and the demo's reference data and logins are seeded first. Rows
follow the model layer's rules: identity codes are made and checked by families.identity (temporary individual
numbers 900-999 only), and the database's own constraints check every COPYed row.
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
    print(f"seeded {seeded} in {time.perf_counter() - started:.1f} s into {name}")


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


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        count += 1
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return count


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
        districts = ["Vuosaari", "Mellunkylä", "Kontula", "Myllypuro"]
        _copy(
            raw,
            "families_family",
            ["id", "reference", "postal_code", "district", "created_at", "municipality_id"],
            (
                (family0 + i, f"B-{family0 + i:08d}", "00980", districts[i % 4], now, programme.municipality_id)
                for i in range(n_families)
            ),
        )
        codes = set()

        def code(birth: datetime.date, n: int) -> str:
            value = validate_identity_code(make_temporary_identity_code(birth, 900 + n % 100))
            codes.add(value)
            return value

        child_family = [family0 + (i % n_families) for i in range(n_children)]
        _copy(
            raw,
            "families_child",
            ["id", "first_names", "last_name", "identity_code", "birth_date", "family_id"],
            (
                (
                    child0 + i,
                    f"Lapsi{i}",
                    f"Suku{i % 5000}",
                    code(datetime.date(2003, 1, 1) + datetime.timedelta(days=i // 100), i),
                    datetime.date(2003, 1, 1) + datetime.timedelta(days=i // 100),
                    child_family[i],
                )
                for i in range(n_children)
            ),
        )
        _copy(
            raw,
            "families_guardian",
            ["id", "first_names", "last_name", "identity_code", "birth_date", "employment_status", "family_id"],
            (
                (
                    guardian0 + i,
                    f"Huoltaja{i}",
                    f"Suku{i % 5000}",
                    code(datetime.date(1960, 1, 1) + datetime.timedelta(days=i // 100), i),
                    datetime.date(1960, 1, 1) + datetime.timedelta(days=i // 100),
                    "unemployed",
                    family0 + i,
                )
                for i in range(n_families)
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
            ["period_start", "period_end", "value", "source", "external_id", "recorded_at", "child_id", "metric_id"],
            (
                (
                    start,
                    start,
                    rng.randint(1, 10),
                    "register_extract",
                    f"R{number}",  # the extract's row id: random draws may repeat a (child, metric, day)
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
        for table in [
            "families_family",
            "families_child",
            "families_guardian",
            "families_enrollment",
            "families_enrollment_children",
            "outcomes_outcomeobservation",
            "outcomes_serviceepisode",
        ]:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return f"{n_families} families, {n_children} children, {args.observations} observations, {args.episodes} episodes"


if __name__ == "__main__":
    main()
