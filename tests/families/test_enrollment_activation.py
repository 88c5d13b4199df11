"""A queued family moves into the programme only through `enrollment_activate`: capacity, cutoff and consent."""

import datetime

import pytest
from django.urls import reverse

from families.models import EnrollmentStatus
from families.services import enrollment_activate, enrollment_create, enrollment_exit
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import ChildFactory, ConsentFactory, FamilyFactory, GuardianFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def programme(municipality):
    return ProgrammeFactory(municipality=municipality, capacity=1, waitlist_when_full=True)


CONSENT_FROM = D(2024, 1, 1)


def _family(programme, consent_from=CONSENT_FROM):
    family = FamilyFactory(municipality=programme.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=consent_from)
    return family


@pytest.fixture
def first(programme):
    return enrollment_create(actor=None, programme=programme, family=_family(programme), enrolled_on=D(2024, 2, 1))


@pytest.fixture
def queued(programme, first):
    return enrollment_create(actor=None, programme=programme, family=_family(programme), enrolled_on=D(2024, 2, 5))


def test_a_directly_enrolled_family_begins_on_its_enrollment_date(first):
    assert (first.status, first.activated_on) == (EnrollmentStatus.ACTIVE, D(2024, 2, 1))


def test_a_queued_family_has_not_begun(queued):
    assert (queued.status, queued.activated_on) == (EnrollmentStatus.WAITLISTED, None)


def test_activation_is_refused_while_the_programme_is_full(queued):
    with pytest.raises(DomainError) as error:
        enrollment_activate(actor=None, enrollment=queued, activated_on=D(2024, 3, 1))
    assert error.value.codes == ["capacity_full"]


def test_a_freed_place_lets_the_queued_family_begin(first, queued, social_worker):
    enrollment_exit(actor=None, enrollment=first, exit_date=D(2024, 2, 28), reason="completed")
    activated = enrollment_activate(actor=social_worker, enrollment=queued, activated_on=D(2024, 3, 1))
    assert (activated.status, activated.activated_on) == (EnrollmentStatus.ACTIVE, D(2024, 3, 1))
    assert AuditEvent.objects.filter(event_type="enrollment.activated", actor=social_worker).exists()


def test_activation_after_the_cutoff_is_refused(programme, first, queued):
    enrollment_exit(actor=None, enrollment=first, exit_date=D(2024, 2, 28), reason="completed")
    programme.enrollment_cutoff = D(2024, 3, 1)
    programme.save()
    with pytest.raises(DomainError) as error:
        enrollment_activate(actor=None, enrollment=queued, activated_on=D(2024, 3, 1))
    assert error.value.codes == ["enrollment_closed"]


def test_activation_needs_valid_consent_on_the_day(programme, first):
    family = _family(programme, consent_from=D(2024, 2, 1))
    family.consents.update(withdrawn_on=D(2024, 2, 20))
    queued = enrollment_create(actor=None, programme=programme, family=family, enrolled_on=D(2024, 2, 5))
    enrollment_exit(actor=None, enrollment=first, exit_date=D(2024, 2, 28), reason="completed")
    with pytest.raises(DomainError) as error:
        enrollment_activate(actor=None, enrollment=queued, activated_on=D(2024, 3, 1))
    assert error.value.codes == ["consent_missing"]


def test_the_social_worker_activates_a_queued_family_on_the_page(client, social_worker, first, queued):
    enrollment_exit(actor=None, enrollment=first, exit_date=D(2024, 2, 28), reason="completed")
    client.force_login(social_worker)
    url = reverse("families:enrollment_activate", args=[queued.pk])
    page = client.get(url)
    response = client.post(
        url, {"activated_on": "2024-03-01", "form_token": page.context["form"]["form_token"].value()}
    )
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.activated_on == D(2024, 3, 1)


def test_the_api_activates_a_queued_family(client, first, queued, municipality):
    enrollment_exit(actor=None, enrollment=first, exit_date=D(2024, 2, 28), reason="completed")
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality))
    response = client.post(
        f"/api/enrollments/{queued.pk}/activate/", {"activated_on": "2024-03-01"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["activated_on"] == "2024-03-01"


def test_the_api_refusal_names_the_reason(client, queued, municipality):
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality))
    response = client.post(
        f"/api/enrollments/{queued.pk}/activate/", {"activated_on": "2024-03-01"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "capacity_full"
