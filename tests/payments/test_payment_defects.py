"""Issue 10's numbered defects, each reproduced through the app's own services."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from families.services import enrollment_create, enrollment_exit
from payments.fund_reports import selectors as fund_selectors
from payments.models import (
    LineKind,
    PaymentStatement,
    PaymentTerms,
    StatementKind,
    StatementStatus,
    TermsInUseError,
)
from payments.services.statements import statement_calculate, statement_transition
from sibcase.errors import DomainError
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeObservationFactory,
    UserFactory,
)
from . import signing

pytestmark = pytest.mark.django_db

D = datetime.date


def annual(year: int) -> dict:
    return {"kind": StatementKind.ANNUAL, "period_start": D(year, 1, 1), "period_end": D(year, 12, 31)}


@pytest.fixture
def people(worked_example):
    programme = worked_example["programme"]
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    treasurer = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    return {"evaluator": evaluator, "coordinator": coordinator, "treasurer": treasurer}


def approve(statement, people):
    return signing.approve(statement, people["evaluator"], people["coordinator"])


def consenting_family(programme):
    family = FamilyFactory(municipality=programme.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2019, 1, 1))
    return family


# 1. Leaving the waitlist never counts as enrolled.


@pytest.fixture
def full_programme(worked_example):
    programme = worked_example["programme"]
    # the worked example's A and B are active: one more place, then the queue
    programme.capacity, programme.waitlist_when_full = 3, True
    programme.save()
    enrollment_create(actor=None, programme=programme, family=consenting_family(programme), enrolled_on=D(2023, 1, 2))
    return programme


def test_a_family_that_only_queued_is_not_in_the_cohort(worked_example, full_programme):
    queued = enrollment_create(
        actor=None, programme=full_programme, family=consenting_family(full_programme), enrolled_on=D(2023, 6, 1)
    )
    assert queued.status == "waitlisted"
    enrollment_exit(actor=None, enrollment=queued, exit_date=D(2023, 9, 1), reason="other")
    statement = statement_calculate(programme=full_programme, **annual(2024))
    # the worked example's three children plus the one family that really took part
    assert statement.child_count == 4


def test_a_family_activated_from_the_queue_counts_from_its_activation(worked_example, full_programme):
    from families.services import enrollment_activate

    queued = enrollment_create(
        actor=None, programme=full_programme, family=consenting_family(full_programme), enrolled_on=D(2023, 6, 1)
    )
    full_programme.capacity = 4
    full_programme.save()
    enrollment_activate(actor=None, enrollment=queued, activated_on=D(2024, 7, 1))
    statement = statement_calculate(programme=full_programme, **annual(2024))
    # 916 days of the worked example, 366 of the first family, 184 from 1.7.2024 for the activated one
    assert statement.inputs["exposure_days"] == 916 + 366 + 184


# 2. The total cap holds across all statements, whatever the order.


def test_approving_an_earlier_year_after_a_later_one_respects_the_total_cap(worked_example, people):
    terms = worked_example["terms"]
    PaymentTerms.objects.filter(pk=terms.pk).update(total_cap=Decimal("7000.00"))
    later = approve(statement_calculate(programme=worked_example["programme"], **annual(2024)), people)
    assert later.payable == Decimal("5023.88")
    earlier = statement_calculate(programme=worked_example["programme"], **annual(2023))
    assert earlier.payable <= Decimal("7000.00") - later.payable


def test_an_approval_that_would_pass_the_total_cap_is_refused(worked_example, people):
    terms = worked_example["terms"]
    PaymentTerms.objects.filter(pk=terms.pk).update(total_cap=Decimal("7000.00"))
    y2023 = statement_calculate(programme=worked_example["programme"], **annual(2023))
    y2024 = statement_calculate(programme=worked_example["programme"], **annual(2024))
    approve(y2024, people)
    validated = signing.validate(y2023, people["evaluator"])
    with pytest.raises(DomainError) as error:
        statement_transition(actor=people["coordinator"], statement=validated, to_status=StatementStatus.APPROVED)
    assert "total_cap_exceeded" in error.value.codes


def test_a_preview_counts_what_is_already_approved_against_the_total_cap(worked_example, people):
    terms = worked_example["terms"]
    PaymentTerms.objects.filter(pk=terms.pk).update(total_cap=Decimal("5500.00"))
    approve(statement_calculate(programme=worked_example["programme"], **annual(2024)), people)
    preview = statement_calculate(
        programme=worked_example["programme"],
        kind=StatementKind.PREVIEW,
        period_start=D(2025, 1, 1),
        period_end=D(2025, 3, 31),
    )
    assert preview.payable <= Decimal("5500.00") - Decimal("5023.88")


def test_a_period_cap_of_zero_is_a_cap(worked_example):
    PaymentTerms.objects.filter(pk=worked_example["terms"].pk).update(
        period_cap=Decimal("0.00"), total_cap=Decimal("3000.00")
    )
    statement = statement_calculate(programme=worked_example["programme"], **annual(2024))
    assert statement.payable == Decimal("0.00")
    # the period cap of 0.00 is what limited the payment, not the total cap
    assert (statement.period_cap_applied, statement.total_cap_applied) == (True, False)


# 3. Previews are estimates: they never enter the approval workflow.


def test_a_preview_cannot_be_validated(worked_example, people):
    preview = statement_calculate(
        programme=worked_example["programme"],
        kind=StatementKind.PREVIEW,
        period_start=D(2024, 1, 1),
        period_end=D(2024, 3, 31),
    )
    with pytest.raises(DomainError):
        statement_transition(actor=people["evaluator"], statement=preview, to_status=StatementStatus.VALIDATED)
    preview.refresh_from_db()
    assert preview.status == StatementStatus.DRAFT


# 4. An adjustment is what the earlier year should have paid with today's data, under its own floor and caps.


def test_late_costs_for_a_year_that_paid_nothing_do_not_cut_the_next_year(worked_example, people):
    programme = worked_example["programme"]
    PaymentTerms.objects.filter(pk=worked_example["terms"].pk).update(carry_forward_negative=False)
    OutcomeObservationFactory(
        metric=worked_example["out_of_home"], child=worked_example["a"], period_start=D(2023, 8, 1), value=Decimal("40")
    )
    y2023 = approve(statement_calculate(programme=programme, **annual(2023)), people)
    assert (y2023.savings < 0, y2023.payable) == (True, Decimal("0.00"))
    # 1 500 of late costs for 2023
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2023, 9, 1), value=Decimal("1")
    )
    y2024 = statement_calculate(programme=programme, **annual(2024))
    assert y2024.adjustments == Decimal("0.00")
    assert y2024.payable == Decimal("5023.88")


def test_late_costs_for_a_year_still_held_at_its_period_cap_do_not_cut_the_next_year(worked_example, people):
    programme = worked_example["programme"]
    PaymentTerms.objects.filter(pk=worked_example["terms"].pk).update(period_cap=Decimal("1000.00"))
    y2023 = approve(statement_calculate(programme=programme, **annual(2023)), people)
    assert (y2023.payable, y2023.period_cap_applied) == (Decimal("1000.00"), True)
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2023, 9, 1), value=Decimal("1")
    )
    y2024 = statement_calculate(programme=programme, **annual(2024))
    assert y2024.adjustments == Decimal("0.00")


def test_late_costs_are_adjusted_at_the_earlier_year_s_share(worked_example, people):
    programme = worked_example["programme"]
    y2023 = approve(statement_calculate(programme=programme, **annual(2023)), people)
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2023, 9, 1), value=Decimal("1")
    )
    y2024 = statement_calculate(programme=programme, **annual(2024))
    line = y2024.lines.get(kind=LineKind.ADJUSTMENT)
    assert (line.adjusts_id, line.amount) == (y2023.pk, Decimal("-280.00"))  # 50 % of 560.00
    assert y2024.payable == Decimal("5023.88") - Decimal("280.00")


# 5. Editing an approved year's terms changes nothing that follows.


def test_terms_a_statement_used_cannot_be_edited(worked_example):
    statement_calculate(programme=worked_example["programme"], **annual(2023))
    terms = PaymentTerms.objects.get(pk=worked_example["terms"].pk)
    terms.baseline_cost_per_child_year = Decimal("9000.00")
    with pytest.raises(TermsInUseError):
        terms.save()


def test_the_database_refuses_editing_terms_a_statement_used(worked_example):
    statement_calculate(programme=worked_example["programme"], **annual(2023))
    with pytest.raises(DatabaseError), transaction.atomic():
        PaymentTerms.objects.filter(pk=worked_example["terms"].pk).update(baseline_cost_per_child_year=9000)


def test_an_approved_year_is_recomputed_from_its_own_terms_snapshot(worked_example, people):
    programme = worked_example["programme"]
    approve(statement_calculate(programme=programme, **annual(2023)), people)
    before = statement_calculate(programme=programme, **annual(2024)).payable
    # Someone with database rights edits the terms row behind the trigger (as the admin could before).
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE payments_paymentterms DISABLE TRIGGER payments_terms_in_use_immutable")
        cursor.execute(
            "UPDATE payments_paymentterms SET baseline_cost_per_child_year = 9000 WHERE id = %s",
            [worked_example["terms"].pk],
        )
        cursor.execute("ALTER TABLE payments_paymentterms ENABLE TRIGGER payments_terms_in_use_immutable")
    y2024 = PaymentStatement.objects.get(kind="annual", period_start=D(2024, 1, 1))
    PaymentStatement.objects.filter(pk=y2024.pk).delete()
    after = statement_calculate(programme=programme, **annual(2024))
    assert after.adjustments == Decimal("0.00")
    # 2024 itself uses the terms in force now (the edited row): only the earlier year is held to its snapshot
    assert after.period_payable > before


# 6. The last year is paid when the terms end with the follow-up.


def test_the_last_year_is_calculated_when_terms_end_with_the_follow_up(worked_example):
    programme = worked_example["programme"]
    programme.follow_up_end = D(2024, 6, 30)
    programme.save()
    PaymentTerms.objects.filter(pk=worked_example["terms"].pk).update(effective_to=D(2024, 6, 30))
    statement = statement_calculate(programme=programme, **annual(2024))
    assert statement.period_end == D(2024, 12, 31)
    assert statement.terms_id == worked_example["terms"].pk


# 7. Late data after the last approved year lands in a final true-up statement.


def test_late_data_after_the_last_year_lands_in_a_true_up(worked_example, people):
    from payments.services.statements import true_up_calculate

    programme = worked_example["programme"]
    programme.follow_up_end = D(2024, 12, 31)
    programme.save()
    y2023 = approve(statement_calculate(programme=programme, **annual(2023)), people)
    y2024 = approve(statement_calculate(programme=programme, **annual(2024)), people)
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 11, 1), value=Decimal("1")
    )
    true_up = true_up_calculate(programme=programme)
    assert true_up.kind == StatementKind.TRUE_UP
    assert [(line.adjusts_id, line.amount) for line in true_up.lines.filter(kind=LineKind.ADJUSTMENT)] == [
        (y2024.pk, Decimal("-280.00"))
    ]
    assert y2023.pk not in [line.adjusts_id for line in true_up.lines.all()]
    assert true_up.payable == Decimal("0.00")
    assert true_up.refund_due == Decimal("280.00")
    assert PaymentStatement.objects.filter(kind=StatementKind.TRUE_UP).count() == 1


def test_the_fund_reports_count_the_same_cohort(worked_example, full_programme):
    queued = enrollment_create(
        actor=None, programme=full_programme, family=consenting_family(full_programme), enrolled_on=D(2023, 6, 1)
    )
    enrollment_exit(actor=None, enrollment=queued, exit_date=D(2023, 9, 1), reason="other")
    counts = fund_selectors._cohort_counts(full_programme)[full_programme.pk]
    assert (counts["families"], counts["children"]) == (4, 4)
