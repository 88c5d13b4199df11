import datetime

import pytest
from django.utils import timezone

from families.models import Enrollment, EnrollmentStatus, ReferralStatus
from families.services import enrollment_create, enrollment_exit
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    GuardianFactory,
    ProgrammeFactory,
    ReferralFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def programme(municipality):
    return ProgrammeFactory(municipality=municipality)


@pytest.fixture
def family(municipality, programme):
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
    return family


def _codes(exc) -> list[str]:
    return exc.value.codes


def test_enrollment_is_created_with_the_family_children(social_worker, programme, family):
    enrollment = enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert list(enrollment.children.all()) == list(family.children.all())


def test_enrollment_leaves_an_audit_event(social_worker, programme, family):
    enrollment = enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
    event = AuditEvent.objects.get(event_type="enrollment.created")
    assert (event.actor, event.object_id) == (social_worker, str(enrollment.pk))


def test_enrollment_marks_the_referral_enrolled(social_worker, programme, family):
    referral = ReferralFactory(family=family, programme=programme)
    enrollment_create(
        actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1), referral=referral
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ENROLLED


def test_enrollment_without_consent_is_refused(social_worker, programme, municipality):
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    with pytest.raises(DomainError) as exc:
        enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
    assert _codes(exc) == ["consent_missing"]
    assert not Enrollment.objects.exists()


def test_consent_withdrawn_before_enrollment_date_does_not_count(social_worker, programme, municipality):
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    ConsentFactory(
        guardian=GuardianFactory(family=family),
        programme=programme,
        given_on=D(2024, 1, 1),
        withdrawn_on=D(2024, 1, 20),
    )
    with pytest.raises(DomainError) as exc:
        enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
    assert "consent_missing" in _codes(exc)


def test_enrollment_on_the_cutoff_day_is_refused_and_names_the_decision(social_worker, municipality):
    programme = ProgrammeFactory(
        municipality=municipality,
        enrollment_cutoff=D(2021, 9, 1),
        cutoff_decision_body="Vantaan sosiaali- ja terveyslautakunta",
        cutoff_decision_date=D(2021, 8, 17),
    )
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2021, 8, 1))
    with pytest.raises(DomainError) as exc:
        enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2021, 9, 1))
    assert _codes(exc) == ["enrollment_closed"]
    assert "Vantaan sosiaali- ja terveyslautakunta" in exc.value.messages[0]


def test_backdated_enrollment_before_a_passed_cutoff_needs_approval(social_worker, municipality):
    programme = ProgrammeFactory(municipality=municipality, enrollment_cutoff=D(2021, 9, 1))
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2021, 8, 1))
    with pytest.raises(DomainError) as exc:
        enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2021, 8, 31))
    assert _codes(exc) == ["backdating_requires_approval"]


def test_backdated_enrollment_with_coordinator_approval_is_accepted_and_audited(social_worker, municipality):
    programme = ProgrammeFactory(municipality=municipality, enrollment_cutoff=D(2021, 9, 1))
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2021, 8, 1))
    enrollment = enrollment_create(
        actor=social_worker,
        programme=programme,
        family=family,
        enrolled_on=D(2021, 8, 31),
        backdating_approved_by=coordinator,
        backdating_reason="Päätös tehty 30.8.2021, kirjaus viivästyi.",
    )
    assert enrollment.backdating_approved_by == coordinator
    assert AuditEvent.objects.filter(event_type="enrollment.backdating_approved", actor=coordinator).exists()


def test_backdating_approval_by_a_social_worker_is_refused(social_worker, municipality):
    programme = ProgrammeFactory(municipality=municipality, enrollment_cutoff=D(2021, 9, 1))
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2021, 8, 1))
    with pytest.raises(DomainError) as exc:
        enrollment_create(
            actor=social_worker,
            programme=programme,
            family=family,
            enrolled_on=D(2021, 8, 31),
            backdating_approved_by=social_worker,
            backdating_reason="oma hyväksyntä",
        )
    assert _codes(exc) == ["backdating_approver_not_coordinator"]


def test_second_open_enrollment_of_the_same_family_is_refused(social_worker, programme, family):
    enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
    with pytest.raises(DomainError) as exc:
        enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 2))
    assert _codes(exc) == ["already_enrolled"]
    assert Enrollment.objects.count() == 1


def test_full_programme_refuses_the_next_family(social_worker, municipality):
    programme = ProgrammeFactory(municipality=municipality, capacity=1)
    families = []
    for _ in range(2):
        family = FamilyFactory(municipality=municipality)
        ChildFactory(family=family)
        ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
        families.append(family)
    enrollment_create(actor=social_worker, programme=programme, family=families[0], enrolled_on=D(2024, 2, 1))
    with pytest.raises(DomainError) as exc:
        enrollment_create(actor=social_worker, programme=programme, family=families[1], enrolled_on=D(2024, 2, 1))
    assert _codes(exc) == ["capacity_full"]


def test_full_programme_with_a_waiting_list_waitlists_the_next_family(social_worker, municipality):
    programme = ProgrammeFactory(municipality=municipality, capacity=1, waitlist_when_full=True)
    enrollments = []
    for _ in range(2):
        family = FamilyFactory(municipality=municipality)
        ChildFactory(family=family)
        ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
        enrollments.append(
            enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
        )
    assert [e.status for e in enrollments] == [EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED]


def test_future_enrollment_date_is_refused(social_worker, programme, family):
    with pytest.raises(DomainError) as exc:
        enrollment_create(
            actor=social_worker,
            programme=programme,
            family=family,
            enrolled_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "date_in_future" in _codes(exc)


def test_other_municipality_programme_is_refused(social_worker, family):
    other = ProgrammeFactory()
    ConsentFactory(guardian=family.guardians.get(), programme=other, given_on=D(2024, 1, 1))
    with pytest.raises(DomainError) as exc:
        enrollment_create(actor=social_worker, programme=other, family=family, enrolled_on=D(2024, 2, 1))
    assert "programme_other_municipality" in _codes(exc)


def test_exit_closes_the_enrollment(social_worker, programme, family):
    enrollment = enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
    enrollment_exit(actor=social_worker, enrollment=enrollment, exit_date=D(2024, 6, 1), reason="moved_away")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_reason) == (EnrollmentStatus.EXITED, "moved_away")


def test_exit_before_enrollment_is_refused(social_worker, programme, family):
    enrollment = enrollment_create(actor=social_worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))
    with pytest.raises(DomainError) as exc:
        enrollment_exit(actor=social_worker, enrollment=enrollment, exit_date=D(2024, 1, 1), reason="other")
    assert _codes(exc) == ["exit_before_enrollment"]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
