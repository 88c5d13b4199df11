"""The README's backup and restore procedure, run for real: pg_dump the database, pg_restore it into a new one,
and every approved or paid statement comes back with the same figures and lines, still immutable."""

import datetime
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from payments.models import StatementKind, StatementStatus
from payments.services.statements import statement_calculate, statement_transition
from sibcase.models import AccessLogEntry, AuditEvent, Role

from ..factories import UserFactory
from ..payments import signing
from ..payments.conftest import worked_example  # noqa: F401 - the README's worked example

D = datetime.date
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore are PostgreSQL's"),
]

STATEMENTS = """
SELECT id, programme_id, kind, period_start, period_end, status, terms_id, child_count, child_years,
       counterfactual_cost, actual_cost, savings, savings_share, adjustments, uncapped_payment, payable,
       paid_on, payment_reference, inputs::text
  FROM payments_paymentstatement WHERE status IN ('approved', 'paid') ORDER BY id
"""
LINES = """
SELECT l.id, l.statement_id, l.kind, l.metric_id, l.observation_count, l.quantity, l.unit_cost, l.amount
  FROM payments_paymentstatementline l JOIN payments_paymentstatement s ON s.id = l.statement_id
 WHERE s.status IN ('approved', 'paid') ORDER BY l.id
"""


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _rows(url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    conn.close()
    return rows


@pytest.fixture
def approved_statements(worked_example):  # noqa: F811
    programme = worked_example["programme"]
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    treasurer = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    statements = []
    for year in (2023, 2024):
        statement = statement_calculate(
            programme=programme, kind=StatementKind.ANNUAL, period_start=D(year, 1, 1), period_end=D(year, 12, 31)
        )
        statements.append(signing.approve(statement, evaluator, coordinator))
    statement_transition(
        actor=treasurer,
        statement=statements[0],
        to_status=StatementStatus.PAID,
        paid_on=D(2024, 3, 1),
        payment_reference="RF18 2023",
    )
    return statements


@pytest.fixture
def restored(tmp_path, approved_statements):
    """pg_dump (custom format) of the test database, restored into a new database as the README says."""
    source = connection.settings_dict["NAME"]
    target = f"{source}_restore_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "sibcase.dump"
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    subprocess.run(  # noqa: S603
        ["pg_dump", "--format=custom", "--file", str(dump), _url(source)],  # noqa: S607
        env=env,
        check=True,
        capture_output=True,
    )
    admin = psycopg2.connect(_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(  # noqa: S603
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _url(target), str(dump)],  # noqa: S607
            env=env,
            check=True,
            capture_output=True,
        )
        yield _url(target)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.close()


def test_every_approved_statement_has_the_same_figures_after_restore(restored):
    source = _rows(_url(connection.settings_dict["NAME"]), STATEMENTS)
    assert len(source) == 2 and {row[5] for row in source} == {"approved", "paid"}
    assert _rows(restored, STATEMENTS) == source


def test_every_approved_statement_has_the_same_lines_after_restore(restored):
    source = _rows(_url(connection.settings_dict["NAME"]), LINES)
    assert source  # the worked example has three lines a year
    assert _rows(restored, LINES) == source


def test_audit_trail_and_access_log_are_restored_whole(restored):
    counts = "SELECT (SELECT count(*) FROM sibcase_auditevent), (SELECT count(*) FROM sibcase_accesslogentry)"
    assert _rows(restored, counts) == [(AuditEvent.objects.count(), AccessLogEntry.objects.count())]
    assert AuditEvent.objects.exists()


def test_restored_approved_statement_is_still_immutable(restored):
    conn = psycopg2.connect(restored)
    try:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cursor:
            cursor.execute("UPDATE payments_paymentstatement SET payable = payable + 1 WHERE status = 'approved'")
    finally:
        conn.close()


def test_every_approved_statement_still_verifies_after_restore(restored):
    """`manage.py verify_statements` against the restored database: every approved and paid statement recomputes
    from its frozen inputs to the same figures."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "verify_statements"],
        env={**os.environ, "DATABASE_URL": restored, "DJANGO_SETTINGS_MODULE": "sibcase.settings.test"},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 statements checked, 0 with differences." in result.stdout
    assert result.stdout.count("OK ") == 2
