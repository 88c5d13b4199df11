"""Correcting a service-needs assessment (palvelutarpeen arvio): reason, history, timeline, refusals."""

import datetime
import re

import pytest
from django.urls import reverse

from families.selectors import family_timeline
from outcomes.models import ServiceNeedsAssessment
from outcomes.services import assessment_correct
from sibcase.errors import DomainError
from sibcase.models import AuditEvent

from ..factories import ChildFactory, FamilyFactory, ServiceNeedsAssessmentFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def assessment(municipality):
    return ServiceNeedsAssessmentFactory(family=FamilyFactory(municipality=municipality), started_on=D(2024, 2, 1))


def _token(client, url: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_a_corrected_assessment_keeps_who_old_new_and_why(assessment, social_worker):
    assessment_correct(
        actor=social_worker, assessment=assessment, reason="Valmistumispäivä puuttui", completed_on=D(2024, 3, 1)
    )
    rows = list(ServiceNeedsAssessment.history.filter(id=assessment.pk).order_by("history_date", "history_id"))
    assert [row.completed_on for row in rows] == [None, D(2024, 3, 1)]
    assert (rows[-1].history_user, rows[-1].history_change_reason) == (social_worker, "Valmistumispäivä puuttui")
    assert AuditEvent.objects.filter(event_type="assessment.corrected", reason="Valmistumispäivä puuttui").exists()


def test_an_assessment_correction_needs_a_reason(assessment, social_worker):
    with pytest.raises(DomainError) as exc:
        assessment_correct(actor=social_worker, assessment=assessment, reason=" ", summary="Uusi")
    assert exc.value.codes == ["reason_required"]


def test_completion_before_the_start_is_refused(assessment, social_worker):
    with pytest.raises(DomainError) as exc:
        assessment_correct(actor=social_worker, assessment=assessment, reason="x", completed_on=D(2024, 1, 1))
    assert exc.value.codes == ["end_before_start"]


def test_an_assessment_cannot_be_moved_to_another_familys_child(assessment, social_worker):
    with pytest.raises(DomainError) as exc:
        assessment_correct(actor=social_worker, assessment=assessment, reason="x", child=ChildFactory())
    assert exc.value.codes == ["child_not_in_family"]


def test_the_correction_shows_on_the_family_timeline(assessment, social_worker):
    assessment_correct(actor=social_worker, assessment=assessment, reason="Kirjoitusvirhe", summary="Korjattu teksti")
    (event,) = [e for e in family_timeline(family=assessment.family) if e.kind == "correction"]
    assert "Korjattu teksti" in event.detail and "Kirjoitusvirhe" in event.detail


def test_an_assessment_is_no_payment_input_so_no_statement_is_named(assessment, social_worker):
    correction = assessment_correct(actor=social_worker, assessment=assessment, reason="x", summary="Toinen")
    assert correction.statements == []


def test_the_family_page_links_the_correction_page_which_saves(client, assessment, social_worker):
    client.force_login(social_worker)
    url = reverse("outcomes:assessment_correct", args=[assessment.pk])
    assert url in client.get(reverse("families:detail", args=[assessment.family_id])).content.decode()
    response = client.post(
        url,
        {
            "child": "",
            "started_on": "1.2.2024",
            "completed_on": "15.3.2024",
            "summary": assessment.summary,
            "reason": "Valmistui",
            "form_token": _token(client, url),
        },
    )
    assert response.status_code == 302
    assert ServiceNeedsAssessment.objects.get(pk=assessment.pk).completed_on == D(2024, 3, 15)


def test_another_municipalitys_assessment_cannot_be_corrected(client, social_worker):
    client.force_login(social_worker)
    other = ServiceNeedsAssessmentFactory()
    assert client.get(reverse("outcomes:assessment_correct", args=[other.pk])).status_code == 404
