import datetime
from decimal import Decimal

import pytest
from django.db import InternalError, ProgrammingError, connection, transaction
from django.utils import timezone

from payments.models import ImmutableStatementError, PaymentStatement, PaymentStatementLine, StatementStatus

from ..factories import PaymentStatementFactory, PaymentStatementLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved():
    statement = PaymentStatementFactory(payable=Decimal("100.00"))
    PaymentStatementLineFactory(statement=statement)
    PaymentStatement.objects.filter(pk=statement.pk).update(
        status=StatementStatus.APPROVED, approved_at=timezone.now(), frozen_hash="0" * 64
    )
    statement.refresh_from_db()
    return statement


def test_draft_statement_can_change():
    statement = PaymentStatementFactory()
    statement.payable = Decimal("5.00")
    statement.save()
    statement.refresh_from_db()
    assert statement.payable == Decimal("5.00")


def test_approved_statement_refuses_a_changed_amount(approved):
    approved.payable = Decimal("1.00")
    with pytest.raises(ImmutableStatementError):
        approved.save()


def test_approved_statement_cannot_be_deleted(approved):
    with pytest.raises(ImmutableStatementError):
        approved.delete()


def test_lines_of_an_approved_statement_cannot_change(approved):
    line = approved.lines.get()
    line.amount = Decimal("0.00")
    with pytest.raises(ImmutableStatementError):
        line.save()


def test_approved_statement_may_be_marked_paid(approved):
    approved.status = StatementStatus.PAID
    approved.paid_on = datetime.date(2025, 3, 1)
    approved.payment_reference = "RF123"
    approved.save()
    approved.refresh_from_db()
    assert approved.status == StatementStatus.PAID


def test_paid_statement_is_final(approved):
    approved.status = StatementStatus.PAID
    approved.paid_on = datetime.date(2025, 3, 1)
    approved.payment_reference = "RF123"
    approved.save()
    approved.payment_reference = "RF999"
    with pytest.raises(ImmutableStatementError):
        approved.save()


pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")


@pg_only
def test_database_refuses_bulk_update_of_approved_statement(approved):
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        PaymentStatement.objects.filter(pk=approved.pk).update(payable=Decimal("1.00"))


@pg_only
def test_database_refuses_new_line_on_approved_statement(approved):
    line = approved.lines.get()
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        PaymentStatementLine.objects.bulk_create(
            [PaymentStatementLine(statement=approved, metric=line.metric, amount=Decimal("1.00"))]
        )


@pg_only
def test_database_allows_approved_to_paid_only_with_payment_fields(approved):
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        PaymentStatement.objects.filter(pk=approved.pk).update(
            status=StatementStatus.PAID, paid_on=datetime.date(2025, 1, 1), payment_reference="X", payable=Decimal("9")
        )
    PaymentStatement.objects.filter(pk=approved.pk).update(
        status=StatementStatus.PAID, paid_on=datetime.date(2025, 1, 1), payment_reference="X"
    )
    approved.refresh_from_db()
    assert approved.status == StatementStatus.PAID
