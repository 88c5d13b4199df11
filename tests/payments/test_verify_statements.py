"""`manage.py verify_statements` and the frozen inputs behind it."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from payments.models import StatementCohortEntry, StatementKind, StatementObservation, StatementStatus
from payments.services.freeze import changed_after_validation, statement_verify
from payments.services.statements import statement_calculate, statement_transition
from sibcase.models import Role

from ..factories import OutcomeObservationFactory, UserFactory
from . import signing

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR_2024 = {"kind": StatementKind.ANNUAL, "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}


@pytest.fixture
def approved(worked_example):
    programme = worked_example["programme"]
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    return signing.approve(statement_calculate(programme=programme, **YEAR_2024), evaluator, coordinator)


def _verify() -> str:
    out = StringIO()
    call_command("verify_statements", stdout=out)
    return out.getvalue()


def test_validation_freezes_the_cohort_and_every_observation_used(approved):
    assert StatementCohortEntry.objects.filter(statement=approved).count() == 3
    assert StatementObservation.objects.filter(statement=approved).count() == 3  # B's earlier months do not count
    assert len(approved.frozen_hash) == 64


def test_an_untouched_statement_verifies(approved):
    assert "OK" in _verify()


def test_late_data_is_a_pending_adjustment_not_a_failure(approved, worked_example):
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 10, 1), value=Decimal("1")
    )
    output = _verify()
    assert "OK" in output
    assert "observations_added" in output
    assert changed_after_validation(statement=approved) == [("observations_added", 1)]


def _tamper(sql: str, params: list) -> None:
    """Someone with database rights goes around the immutability triggers."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def test_a_tampered_payable_fails_verification(approved):
    _tamper("UPDATE payments_paymentstatement SET payable = payable + 1000 WHERE id = %s", [approved.pk])
    with pytest.raises(CommandError):
        _verify()


def test_a_tampered_frozen_observation_fails_verification(approved):
    _tamper("UPDATE payments_statementobservation SET value = value + 1 WHERE statement_id = %s", [approved.pk])
    approved.refresh_from_db()
    result = statement_verify(statement=approved)
    assert "frozen inputs do not match their content hash" in result.differences


def test_a_lost_snapshot_fails_verification(approved):
    _tamper("DELETE FROM payments_statementcohortentry WHERE statement_id = %s", [approved.pk])
    with pytest.raises(CommandError):
        _verify()


def test_the_database_refuses_changing_the_frozen_inputs_of_an_approved_statement(approved):
    with pytest.raises(DatabaseError), transaction.atomic():
        StatementObservation.objects.filter(statement=approved).update(value=99)


def test_returning_to_draft_lets_go_of_the_frozen_inputs(worked_example):
    programme = worked_example["programme"]
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    statement = signing.validate(statement_calculate(programme=programme, **YEAR_2024), evaluator)
    statement = statement_transition(actor=evaluator, statement=statement, to_status=StatementStatus.DRAFT)
    assert statement.frozen_hash == ""
    assert not StatementCohortEntry.objects.filter(statement=statement).exists()
