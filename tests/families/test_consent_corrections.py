"""Correcting a consent (guardian, scope, date) or voiding one recorded in error, with the enrollments re-checked."""

import datetime
import re

import pytest
from django.urls import reverse

from families.corrections import consent_correct, consent_void
from families.models import Consent, EnrollmentStatus
from families.selectors import family_timeline, valid_participation_consent_exists
from families.services import consent_give, consent_withdraw
from payments.models import StatementCohortEntry
from sibcase.errors import DomainError
from sibcase.models import AuditEvent

from ..factories import (
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    PaymentStatementFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def consent(municipality):
    family = FamilyFactory(municipality=municipality)
    return ConsentFactory(
        guardian=GuardianFactory(family=family),
        programme=ProgrammeFactory(municipality=municipality),
        scope="participation",
        given_on=D(2024, 1, 10),
    )


def _token(client, url: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_a_corrected_consent_date_keeps_who_old_new_and_why(consent, social_worker):
    consent_correct(actor=social_worker, consent=consent, reason="Päivä luettu väärin", given_on=D(2024, 1, 5))
    rows = list(Consent.history.filter(id=consent.pk).order_by("history_date", "history_id"))
    assert [row.given_on for row in rows] == [D(2024, 1, 10), D(2024, 1, 5)]
    assert (rows[-1].history_user, rows[-1].history_change_reason) == (social_worker, "Päivä luettu väärin")
    event = AuditEvent.objects.get(event_type="consent.corrected")
    assert (event.old_values, event.new_values) == ({"given_on": "2024-01-10"}, {"given_on": "2024-01-05"})


def test_a_consent_correction_needs_a_reason(consent, social_worker):
    with pytest.raises(DomainError) as exc:
        consent_correct(actor=social_worker, consent=consent, reason="", given_on=D(2024, 1, 5))
    assert exc.value.codes == ["reason_required"]


def test_a_consent_cannot_be_moved_to_another_familys_guardian(consent, social_worker):
    with pytest.raises(DomainError) as exc:
        consent_correct(actor=social_worker, consent=consent, reason="x", guardian=GuardianFactory())
    assert exc.value.codes == ["guardian_not_in_family"]


def test_the_right_guardian_is_recorded_on_a_consent(consent, social_worker):
    other = GuardianFactory(family=consent.family)
    consent_correct(actor=social_worker, consent=consent, reason="Toinen huoltaja allekirjoitti", guardian=other)
    assert Consent.objects.get(pk=consent.pk).guardian == other


def test_voiding_the_only_consent_behind_an_active_enrollment_is_refused(consent, social_worker):
    EnrollmentFactory(family=consent.family, programme=consent.programme, enrolled_on=D(2024, 2, 1))
    with pytest.raises(DomainError) as exc:
        consent_void(actor=social_worker, consent=consent, reason="Ei allekirjoitettu")
    assert exc.value.codes == ["consent_backs_enrollment"]
    assert Consent.objects.get(pk=consent.pk).voided_at is None


def test_a_date_correction_leaving_an_active_enrollment_without_consent_is_refused(consent, social_worker):
    EnrollmentFactory(family=consent.family, programme=consent.programme, enrolled_on=D(2024, 2, 1))
    with pytest.raises(DomainError) as exc:
        consent_correct(actor=social_worker, consent=consent, reason="x", given_on=D(2024, 3, 1))
    assert exc.value.codes == ["consent_backs_enrollment"]


def test_voiding_is_allowed_once_another_consent_backs_the_enrollment(consent, social_worker):
    EnrollmentFactory(family=consent.family, programme=consent.programme, enrolled_on=D(2024, 2, 1))
    other = GuardianFactory(family=consent.family)
    consent_give(
        actor=social_worker, guardian=other, programme=consent.programme, scope="participation", given_on=D(2024, 1, 8)
    )
    consent_void(actor=social_worker, consent=consent, reason="Kirjattu väärälle huoltajalle")
    assert Consent.objects.get(pk=consent.pk).voided_at is not None


def test_a_voided_consent_stays_on_record_but_counts_nowhere(consent, social_worker):
    consent_void(actor=social_worker, consent=consent, reason="Ei allekirjoitettu")
    assert Consent.objects.filter(pk=consent.pk).exists()
    assert not valid_participation_consent_exists(
        family=consent.family, programme_id=consent.programme_id, on_date=D(2024, 6, 1)
    )
    assert AuditEvent.objects.filter(event_type="consent.voided", reason="Ei allekirjoitettu").exists()


def test_a_void_is_not_a_withdrawal(consent, social_worker):
    consent_void(actor=social_worker, consent=consent, reason="Ei allekirjoitettu")
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    with pytest.raises(DomainError) as exc:
        consent_withdraw(actor=social_worker, consent=consent, withdrawn_on=D(2024, 6, 1))
    assert exc.value.codes == ["consent_voided"]


def test_after_a_void_the_right_consent_can_be_recorded(consent, social_worker):
    consent_void(actor=social_worker, consent=consent, reason="Väärä päivä ja huoltaja")
    again = consent_give(
        actor=social_worker,
        guardian=consent.guardian,
        programme=consent.programme,
        scope="participation",
        given_on=D(2024, 1, 12),
    )
    assert again.pk != consent.pk


def test_voiding_behind_an_ended_enrollment_is_allowed_and_reported(consent, social_worker):
    enrollment = EnrollmentFactory(
        family=consent.family,
        programme=consent.programme,
        enrolled_on=D(2024, 2, 1),
        status=EnrollmentStatus.EXITED,
        exit_date=D(2024, 5, 1),
        exit_reason="completed",
    )
    correction = consent_void(actor=social_worker, consent=consent, reason="Ei allekirjoitettu")
    assert correction.enrollments_without_consent == [enrollment]
    event = AuditEvent.objects.get(event_type="consent.voided")
    assert event.new_values == {"enrollments_without_consent": str([enrollment.pk])}


def test_a_consent_void_says_when_its_enrollments_child_is_behind_a_validated_statement(consent, social_worker):
    enrollment = EnrollmentFactory(
        family=consent.family,
        programme=consent.programme,
        enrolled_on=D(2024, 2, 1),
        status=EnrollmentStatus.EXITED,
        exit_date=D(2024, 5, 1),
        exit_reason="completed",
    )
    statement = PaymentStatementFactory(status="validated", frozen_hash="0" * 64)
    StatementCohortEntry.objects.create(
        statement=statement, child=enrollment.children.get(), cohort_start=D(2024, 2, 1)
    )
    assert consent_void(actor=social_worker, consent=consent, reason="x").statements == [statement]


def test_the_timeline_shows_the_void_with_its_reason(consent, social_worker):
    consent_void(actor=social_worker, consent=consent, reason="Ei allekirjoitettu")
    (event,) = [e for e in family_timeline(family=consent.family) if e.kind == "correction"]
    assert "mitätöity" in event.title and "Ei allekirjoitettu" in event.detail


def test_the_consent_void_page_voids_and_the_family_page_links_it(client, consent, social_worker):
    client.force_login(social_worker)
    family_page = client.get(reverse("families:detail", args=[consent.family_id])).content.decode()
    url = reverse("families:consent_void", args=[consent.pk])
    assert url in family_page and reverse("families:consent_correct", args=[consent.pk]) in family_page
    response = client.post(url, {"reason": "Ei allekirjoitettu", "form_token": _token(client, url)})
    assert response.status_code == 302
    assert Consent.objects.get(pk=consent.pk).voided_at is not None


def test_the_consent_correction_page_shows_the_refusal(client, consent, social_worker):
    EnrollmentFactory(family=consent.family, programme=consent.programme, enrolled_on=D(2024, 2, 1))
    client.force_login(social_worker)
    url = reverse("families:consent_correct", args=[consent.pk])
    response = client.post(
        url,
        {
            "guardian": consent.guardian_id,
            "scope": "participation",
            "given_on": "1.3.2024",
            "reason": "x",
            "form_token": _token(client, url),
        },
    )
    assert response.status_code == 400
    assert "Kirjaa ensin oikea suostumus tai päätä osallistuminen" in response.content.decode()
