"""Case assignment: a responsible worker and deputies per family, hand-over with a note, the caseload from it."""

import datetime
import re

import pytest
from django.db import IntegrityError
from django.urls import reverse

from families.assignments import case_assign, case_assignment_end, case_handover
from families.models import CaseAssignment
from families.selectors import caseload_for_worker, family_timeline
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import (
    EnrollmentFactory,
    FamilyFactory,
    MunicipalityFactory,
    ProgrammeFactory,
    UserFactory,
    identity_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(municipality):
    family = FamilyFactory(municipality=municipality)
    EnrollmentFactory(family=family, programme=ProgrammeFactory(municipality=municipality))
    return family


@pytest.fixture
def colleague(municipality):
    return UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality, first_name="Kaisa", last_name="Kollega")


def _token(client, url: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_registering_a_family_makes_the_worker_responsible(client, social_worker, municipality):
    from families.services import family_register

    family = family_register(
        actor=social_worker,
        programme=ProgrammeFactory(municipality=municipality),
        postal_code="00980",
        district="",
        children=[
            {
                "first_names": "Aino",
                "last_name": "Testinen",
                "identity_code": identity_code(9001, birth=datetime.date(2020, 1, 1)),
            }
        ],
        guardians=[],
        source="neuvola",
        referred_on=datetime.date(2024, 1, 10),
        reason="Arki",
    )
    assert CaseAssignment.objects.get(family=family).worker == social_worker


def test_handover_ends_the_old_row_starts_the_new_and_is_audited(family, social_worker, colleague):
    case_assign(actor=social_worker, family=family, worker=social_worker, role="responsible")
    case_handover(actor=social_worker, family=family, to_worker=colleague, note="Kotikäynti sovittu 3.12.")
    old, new = CaseAssignment.objects.filter(family=family).order_by("started_at", "id")
    assert (old.worker, old.ended_by, old.end_note) == (social_worker, social_worker, "Kotikäynti sovittu 3.12.")
    assert (new.worker, new.role, new.ended_at) == (colleague, "responsible", None)
    event = AuditEvent.objects.get(event_type="assignment.handed_over")
    assert (event.old_values["worker"], event.new_values["worker"]) == (social_worker.pk, colleague.pk)


def test_handover_needs_a_note(family, social_worker, colleague):
    with pytest.raises(DomainError) as exc:
        case_handover(actor=social_worker, family=family, to_worker=colleague, note="  ")
    assert exc.value.codes == ["handover_note_required"]


def test_a_worker_of_another_municipality_cannot_be_assigned(family, social_worker):
    outsider = UserFactory(role=Role.SOCIAL_WORKER, municipality=MunicipalityFactory())
    with pytest.raises(DomainError) as exc:
        case_assign(actor=social_worker, family=family, worker=outsider, role="deputy")
    assert exc.value.codes == ["assignment_worker_not_eligible"]


def test_a_second_responsible_worker_is_refused(family, social_worker, colleague):
    case_assign(actor=social_worker, family=family, worker=social_worker, role="responsible")
    with pytest.raises(DomainError) as exc:
        case_assign(actor=social_worker, family=family, worker=colleague, role="responsible")
    assert exc.value.codes == ["responsible_exists"]


def test_the_database_allows_one_open_responsible_per_family(family, social_worker, colleague):
    from django.utils import timezone

    CaseAssignment.objects.create(family=family, worker=social_worker, role="responsible", started_at=timezone.now())
    with pytest.raises(IntegrityError):
        CaseAssignment.objects.create(family=family, worker=colleague, role="responsible", started_at=timezone.now())


def test_a_deputy_taking_over_stops_being_a_deputy(family, social_worker, colleague):
    case_assign(actor=social_worker, family=family, worker=social_worker, role="responsible")
    case_assign(actor=social_worker, family=family, worker=colleague, role="deputy")
    case_handover(actor=social_worker, family=family, to_worker=colleague, note="Loma")
    open_rows = CaseAssignment.objects.filter(family=family, ended_at__isnull=True)
    assert [(row.worker, row.role) for row in open_rows] == [(colleague, "responsible")]


def test_the_responsible_worker_ends_only_by_handover(family, social_worker):
    assignment = case_assign(actor=social_worker, family=family, worker=social_worker, role="responsible")
    with pytest.raises(DomainError) as exc:
        case_assignment_end(actor=social_worker, assignment=assignment)
    assert exc.value.codes == ["responsible_needs_handover"]


def test_caseload_comes_from_assignment_for_deputies_too(family, social_worker, colleague):
    case_assign(actor=social_worker, family=family, worker=colleague, role="responsible")
    assert caseload_for_worker(user=social_worker).families == []
    deputy = case_assign(actor=colleague, family=family, worker=social_worker, role="deputy")
    assert [f.pk for f in caseload_for_worker(user=social_worker).families] == [family.pk]
    case_assignment_end(actor=colleague, assignment=deputy, note="Sijaisuus päättyi")
    assert caseload_for_worker(user=social_worker).families == []


def test_handover_shows_on_the_timeline(family, social_worker, colleague):
    case_handover(actor=social_worker, family=family, to_worker=colleague, note="Siirto tiimiin 2")
    events = [e for e in family_timeline(family=family) if e.kind == "assignment"]
    assert events[0].detail == "Siirto tiimiin 2" and "Kollega" in events[0].title


def test_handover_page_hands_the_case_over(client, family, social_worker, colleague):
    client.force_login(social_worker)
    case_assign(actor=social_worker, family=family, worker=social_worker, role="responsible")
    url = reverse("families:case_handover", args=[family.pk])
    response = client.post(
        url, {"to_worker": colleague.pk, "note": "Perhe tutustunut", "form_token": _token(client, url)}
    )
    assert response.status_code == 302
    assert CaseAssignment.objects.get(family=family, ended_at__isnull=True).worker == colleague
    page = client.get(reverse("families:detail", args=[family.pk])).content.decode()
    assert "Kaisa Kollega" in page


def test_deputy_page_adds_a_deputy(client, family, social_worker, colleague):
    client.force_login(social_worker)
    url = reverse("families:deputy_add", args=[family.pk])
    response = client.post(url, {"worker": colleague.pk, "note": "", "form_token": _token(client, url)})
    assert response.status_code == 302
    assert CaseAssignment.objects.get(family=family).role == "deputy"


def test_handover_page_of_another_municipalitys_family_is_404(client, colleague):
    client.force_login(colleague)
    other = FamilyFactory(municipality=MunicipalityFactory())
    assert client.get(reverse("families:case_handover", args=[other.pk])).status_code == 404


def test_each_worker_gets_their_own_caseload_from_the_shared_compiled_query(social_worker, colleague, municipality):
    # The caseload's SQL is compiled once per shape and reused with each user's own ids (families.selectors).
    other_town = MunicipalityFactory(code="091", name_fi="Helsinki")
    stranger = UserFactory(role=Role.SOCIAL_WORKER, municipality=other_town)
    programme = ProgrammeFactory(municipality=municipality)
    mine, theirs = FamilyFactory(municipality=municipality), FamilyFactory(municipality=municipality)
    elsewhere = FamilyFactory(municipality=other_town)
    for family, worker in ((mine, social_worker), (theirs, colleague)):
        EnrollmentFactory(family=family, programme=programme)
        case_assign(actor=None, family=family, worker=worker, role="responsible")
    EnrollmentFactory(family=elsewhere)
    case_assign(actor=None, family=elsewhere, worker=stranger, role="responsible")

    for _ in range(2):  # the second round runs on the compiled SQL of the first
        assert [f.pk for f in caseload_for_worker(user=social_worker).families] == [mine.pk]
        assert [f.pk for f in caseload_for_worker(user=colleague).families] == [theirs.pk]
        assert [f.pk for f in caseload_for_worker(user=stranger).families] == [elsewhere.pk]
        by_programme = caseload_for_worker(user=social_worker, programme_id=programme.pk, role="responsible")
        assert [f.pk for f in by_programme.families] == [mine.pk]
        assert caseload_for_worker(user=social_worker, role="deputy").families == []
        assert caseload_for_worker(user=colleague, programme_id=programme.pk + 1000).families == []
