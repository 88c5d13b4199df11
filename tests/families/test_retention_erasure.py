"""Retention (30 years after the case closes), the daily list of what is due, and the two-admin erasure that
pseudonymises people irreversibly while approved payment statements still verify."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from families.corrections import consent_void
from families.identity import validate_identity_code
from families.models import CaseNote, Child, Consent, Enrollment, ErasureRequest, ErasureStatus, Family, Guardian
from families.retention import erasure_approve, erasure_propose, families_due_for_erasure
from families.services import enrollment_exit
from families.tasks import list_retention_due
from outcomes.models import OutcomeObservation, ServiceNeedsAssessment
from outcomes.services import assessment_correct, observation_correct, observation_void
from payments.services.statements import statement_calculate
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeObservationFactory,
    ReferralFactory,
    ServiceNeedsAssessmentFactory,
    UserFactory,
)
from ..payments import signing
from ..payments.conftest import worked_example  # noqa: F401 - the README's worked example

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def second_admin(db):
    return UserFactory(role=Role.ADMIN, municipality=None, is_staff=True)


EXIT = D(2024, 3, 31)


def _closed_family(exit_date=EXIT):
    family = FamilyFactory()
    child = ChildFactory(family=family)
    GuardianFactory(family=family)
    enrollment = EnrollmentFactory(family=family, children=[child], enrolled_on=D(2024, 1, 10))
    enrollment_exit(actor=None, enrollment=enrollment, exit_date=exit_date, reason="completed", note="Muutti Ouluun")
    family.refresh_from_db()
    return family


def _due(family):
    Family.objects.filter(pk=family.pk).update(retain_until=D(2020, 1, 1))


def test_the_retention_date_is_set_when_the_last_enrollment_ends():
    family = _closed_family()
    assert settings.SIBCASE["RETENTION_YEARS"] == 30
    assert family.retain_until == D(2054, 3, 31)
    assert AuditEvent.objects.filter(event_type="family.retention_set", object_id=str(family.pk)).exists()


def test_no_retention_date_while_another_enrollment_is_open():
    family = FamilyFactory()
    child = ChildFactory(family=family)
    EnrollmentFactory(family=family, children=[child])
    ended = EnrollmentFactory(family=family, children=[child])
    enrollment_exit(actor=None, enrollment=ended, exit_date=D(2024, 5, 1), reason="completed")
    family.refresh_from_db()
    assert family.retain_until is None


def test_the_beat_job_audits_each_due_family_once():
    family = _closed_family()
    _due(family)
    assert list_retention_due() == 1
    assert list_retention_due() == 0
    assert AuditEvent.objects.filter(event_type="family.retention_due", object_id=str(family.pk)).count() == 1


def test_the_beat_schedule_runs_the_retention_job():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "families.list_retention_due" in tasks


def test_a_family_within_its_retention_period_cannot_be_proposed(admin_user):
    family = _closed_family()
    with pytest.raises(DomainError) as exc:
        erasure_propose(actor=admin_user, family=family, reason="Pyyntö")
    assert exc.value.codes == ["retention_not_passed"]


def test_the_proposer_cannot_approve(admin_user):
    family = _closed_family()
    _due(family)
    request = erasure_propose(actor=admin_user, family=family, reason="Säilytysaika päättyi")
    with pytest.raises(DomainError) as exc:
        erasure_approve(actor=admin_user, request=request)
    assert exc.value.codes == ["erasure_same_admin"]


def _erase(family, admin_user, second_admin):
    request = erasure_propose(actor=admin_user, family=family, reason="Säilytysaika päättyi")
    return erasure_approve(actor=second_admin, request=request, note="Tarkistettu")


def test_an_approved_erasure_pseudonymises_the_people(admin_user, second_admin):
    family = _closed_family()
    child = family.children.get()
    guardian = family.guardians.get()
    old_codes = {child.identity_code, guardian.identity_code}
    _due(family)
    request = _erase(family, admin_user, second_admin)
    assert request.status == ErasureStatus.APPROVED
    for person in (Child.objects.get(pk=child.pk), Guardian.objects.get(pk=guardian.pk)):
        assert person.first_names == "Poistettu" and person.last_name == "Poistettu"
        assert person.identity_code not in old_codes
        with pytest.raises(Exception):  # noqa: B017 - the placeholder must never be a valid code
            validate_identity_code(person.identity_code)
        assert person.erased_at is not None
    erased_child = Child.objects.get(pk=child.pk)
    assert erased_child.birth_date == D(child.birth_date.year, 1, 1)


def test_an_erasure_clears_free_texts_and_their_history(admin_user, second_admin):
    family = _closed_family()
    child = family.children.get()
    ReferralFactory(family=family, reason="Äidin masennus")
    ServiceNeedsAssessmentFactory(family=family, summary="Isä työtön, lapsella ADHD")
    observation = OutcomeObservationFactory(child=child, metric__programme=family.enrollments.get().programme)
    observation_correct(actor=None, observation=observation, value=Decimal("2"), reason="Korjattu: Matti soitti")
    observation_void(actor=None, observation=observation, reason="Väärä lapsi: Matti")
    _due(family)
    _erase(family, admin_user, second_admin)
    assert set(family.referrals.values_list("reason", flat=True)) == {"[poistettu]"}
    assert set(family.assessments.values_list("summary", flat=True)) == {"[poistettu]"}
    enrollment = Enrollment.objects.get(family=family)
    assert enrollment.exit_note == ""
    history = list(Enrollment.history.filter(id=enrollment.pk).values_list("exit_note", "history_change_reason"))
    assert all(note == "" and reason is None for note, reason in history)
    observation_history = OutcomeObservation.history.filter(id=observation.pk)
    assert not observation_history.filter(history_change_reason__isnull=False).exists()
    assert set(observation_history.exclude(void_reason="").values_list("void_reason", flat=True)) == {"[poistettu]"}


def test_an_erased_family_is_no_longer_due(admin_user, second_admin):
    family = _closed_family()
    _due(family)
    _erase(family, admin_user, second_admin)
    assert family not in families_due_for_erasure()


def test_approved_statements_still_verify_after_an_erasure(worked_example, admin_user, second_admin):  # noqa: F811
    programme = worked_example["programme"]
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    signing.approve(
        statement_calculate(programme=programme, kind="annual", period_start=D(2024, 1, 1), period_end=D(2024, 12, 31)),
        evaluator,
        coordinator,
    )
    family = worked_example["c"].family  # exited on 31.3.2024
    _due(family)
    _erase(family, admin_user, second_admin)
    out = StringIO()
    call_command("verify_statements", stdout=out)
    assert "OK" in out.getvalue() and "MISMATCH" not in out.getvalue()


def test_the_due_list_page_shows_due_families_to_admins(client, admin_user):
    family = _closed_family()
    _due(family)
    client.force_login(admin_user)
    assert family.reference in client.get(reverse("privacy:erasure_list")).content.decode()


def test_erasure_is_proposed_and_approved_through_the_pages(client, admin_user, second_admin):
    family = _closed_family()
    _due(family)
    client.force_login(admin_user)
    client.post(reverse("privacy:erasure_propose", args=[family.pk]), {"reason": "Säilytysaika päättyi"})
    request = ErasureRequest.objects.get(family=family)
    client.force_login(second_admin)
    client.post(reverse("privacy:erasure_decide", args=[request.pk]), {"decision": "approve", "note": "OK"})
    request.refresh_from_db()
    assert request.status == ErasureStatus.APPROVED
    assert family.children.get().first_names == "Poistettu"


def test_social_workers_do_not_see_the_due_list(client, social_worker):
    client.force_login(social_worker)
    assert client.get(reverse("privacy:erasure_list")).status_code == 403


def test_an_erasure_leaves_no_old_names_in_history_notes_or_contacts(admin_user, second_admin):
    family = _closed_family()
    child = family.children.get()
    guardian = family.guardians.get()
    Guardian.objects.filter(pk=guardian.pk).update(phone="0401234567", email="huoltaja@example.fi")
    CaseNote.objects.create(
        family=family, text="Kotikäynti: Matti kertoi", written_on=D(2024, 1, 5), created_by=admin_user
    )
    child.first_names = "Vanhanimi"
    child.save()
    _due(family)
    _erase(family, admin_user, second_admin)
    assert not Child.history.filter(id=child.pk).exists()
    assert not Guardian.history.filter(id=guardian.pk).exists()
    assert Guardian.objects.filter(pk=guardian.pk, phone="", email="").exists()
    assert set(CaseNote.objects.filter(family=family).values_list("text", flat=True)) == {"[poistettu]"}


def test_an_erasure_clears_corrected_assessments_and_voided_consents_in_their_history(admin_user, second_admin):
    family = _closed_family()
    assessment = ServiceNeedsAssessmentFactory(family=family, summary="Isä työtön")
    assessment_correct(actor=None, assessment=assessment, reason="Matti soitti", summary="Isä työtön, lapsella ADHD")
    consent = ConsentFactory(guardian=family.guardians.get(), programme=family.enrollments.get().programme)
    consent_void(actor=None, consent=consent, reason="Väärä huoltaja: Matti")
    _due(family)
    _erase(family, admin_user, second_admin)
    assessment_history = ServiceNeedsAssessment.history.filter(id=assessment.pk)
    assert set(assessment_history.values_list("summary", flat=True)) == {"[poistettu]"}
    assert not assessment_history.filter(history_change_reason__isnull=False).exists()
    consent_history = Consent.history.filter(id=consent.pk)
    assert not consent_history.filter(history_change_reason__isnull=False).exists()
    assert set(consent_history.exclude(void_reason="").values_list("void_reason", flat=True)) == {"[poistettu]"}
