"""Each database invariant rejects a bad row even when Python validation is bypassed."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from families.models import EnrollmentStatus
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    MetricUnitCostFactory,
    OutcomeObservationFactory,
    PaymentStatementFactory,
    PaymentStatementLineFactory,
    PaymentTermsFactory,
    ProgrammeFactory,
    ServiceEpisodeFactory,
    ServiceFactory,
    ServiceNeedsAssessmentFactory,
    ServiceVisitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def _rejects(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_identity_code_is_unique_per_child():
    child = ChildFactory()
    _rejects(ChildFactory, identity_code=child.identity_code)


def test_identity_code_is_unique_per_guardian():
    guardian = GuardianFactory()
    _rejects(GuardianFactory, identity_code=guardian.identity_code)


def test_malformed_identity_code_is_rejected_by_the_database():
    family = FamilyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        # bulk_create skips save(), so only the CHECK constraint stands in the way.
        type(ChildFactory.build())._default_manager.bulk_create(
            [ChildFactory.build(family=family, identity_code="12345", birth_date=D(2016, 1, 1))]
        )


def test_one_open_enrollment_per_family_and_programme():
    enrollment = EnrollmentFactory()
    _rejects(EnrollmentFactory, family=enrollment.family, programme=enrollment.programme)


def test_an_exited_enrollment_allows_a_new_one():
    exited = EnrollmentFactory(status=EnrollmentStatus.EXITED, exit_date=D(2024, 5, 1), exit_reason="completed")
    assert EnrollmentFactory(family=exited.family, programme=exited.programme).pk


def test_enrollment_exit_before_enrolled_is_rejected():
    _rejects(
        EnrollmentFactory, status="exited", enrolled_on=D(2024, 2, 1), exit_date=D(2024, 1, 1), exit_reason="other"
    )


def test_exited_enrollment_needs_exit_date_and_reason():
    _rejects(EnrollmentFactory, status="exited", exit_date=None, exit_reason="")


def test_active_enrollment_cannot_carry_exit_date():
    _rejects(EnrollmentFactory, status="active", exit_date=D(2024, 5, 1), exit_reason="other")


def test_backdating_approval_needs_a_reason():
    _rejects(EnrollmentFactory, backdating_approved_by=UserFactory(), backdating_reason="")


def test_consent_withdrawn_before_given_is_rejected():
    _rejects(ConsentFactory, given_on=D(2024, 1, 10), withdrawn_on=D(2024, 1, 9))


def test_only_one_valid_consent_per_guardian_programme_and_scope():
    consent = ConsentFactory()
    _rejects(ConsentFactory, guardian=consent.guardian, programme=consent.programme)


def test_programme_cutoff_must_follow_opening():
    _rejects(ProgrammeFactory, enrollment_opens=D(2020, 1, 1), enrollment_cutoff=D(2020, 1, 1))


def test_programme_follow_up_cannot_end_before_start():
    _rejects(ProgrammeFactory, start_date=D(2020, 1, 1), enrollment_opens=D(2020, 1, 1), follow_up_end=D(2019, 12, 31))


def test_programme_capacity_is_positive():
    _rejects(ProgrammeFactory, capacity=0)


def test_service_belongs_to_provider_or_municipality_not_both():
    _rejects(ServiceFactory, provider=None, municipality=None)


def test_episode_end_before_start_is_rejected():
    _rejects(ServiceEpisodeFactory, start_date=D(2024, 2, 1), end_date=D(2024, 1, 31))


def test_completed_episode_has_an_end():
    _rejects(ServiceEpisodeFactory, status="completed", end_date=None)


def test_visit_duration_is_positive():
    _rejects(ServiceVisitFactory, duration_minutes=0)


def test_assessment_completed_before_started_is_rejected():
    _rejects(ServiceNeedsAssessmentFactory, started_on=D(2024, 2, 1), completed_on=D(2024, 1, 1))


def test_observation_period_end_before_start_is_rejected():
    _rejects(OutcomeObservationFactory, period_start=D(2024, 2, 1), period_end=D(2024, 1, 1))


def test_observation_value_cannot_be_negative():
    _rejects(OutcomeObservationFactory, value=Decimal("-1"))


def test_unit_cost_cannot_be_negative():
    _rejects(MetricUnitCostFactory, unit_cost=Decimal("-0.01"))


def test_terms_share_is_between_zero_and_one():
    _rejects(PaymentTermsFactory, savings_share=Decimal("1.5"))


def test_terms_caps_cannot_be_negative():
    _rejects(PaymentTermsFactory, total_cap=Decimal("-1"))


def test_statement_payable_cannot_be_negative():
    _rejects(PaymentStatementFactory, payable=Decimal("-1"))


def test_paid_statement_needs_date_and_reference():
    _rejects(PaymentStatementFactory, status="paid", approved_at="2025-01-01T00:00:00+02:00", paid_on=None)


def test_metric_line_amount_cannot_be_negative():
    _rejects(PaymentStatementLineFactory, amount=Decimal("-5"))


def test_social_worker_needs_a_municipality():
    _rejects(UserFactory, role=Role.SOCIAL_WORKER, municipality=None)


def test_provider_worker_needs_a_provider():
    _rejects(UserFactory, role=Role.PROVIDER_WORKER, municipality=None, provider=None)
