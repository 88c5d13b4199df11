"""A social worker's backdated enrollment is refused for needing approval: the page offers to ask the coordinator."""

import datetime
import re

import pytest
from django.urls import reverse

from families.models import Enrollment
from programs.models import BackdatingRequest, BackdatingStatus
from sibcase.models import Role

from ..factories import ChildFactory, ConsentFactory, FamilyFactory, GuardianFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def closed():
    return ProgrammeFactory(start_date=D(2019, 10, 1), enrollment_opens=D(2019, 10, 1), enrollment_cutoff=D(2021, 9, 1))


@pytest.fixture
def worker(closed):
    return UserFactory(role=Role.SOCIAL_WORKER, municipality=closed.municipality)


@pytest.fixture
def family(closed):
    family = FamilyFactory(municipality=closed.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=closed, given_on=D(2021, 8, 1))
    return family


def _token(html: str, prefix: str = "") -> str:
    name = f"{prefix}-form_token" if prefix else "form_token"
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def _refused(client, family, closed):
    url = reverse("families:enrollment_create", args=[family.pk])
    return client.post(
        url,
        {
            "programme": closed.pk,
            "children": [c.pk for c in family.children.all()],
            "enrolled_on": "31.8.2021",
            "form_token": _token(client.get(url).content.decode()),
        },
    )


def test_a_refused_backdated_enrollment_offers_the_request_form_filled_in(client, worker, family, closed):
    client.force_login(worker)
    response = _refused(client, family, closed)
    html = response.content.decode()
    assert response.status_code == 400
    assert reverse("families:backdating_request_create", args=[family.pk]) in html
    assert 'name="backdating-enrolled_on" value="31.8.2021"' in html
    assert not Enrollment.objects.filter(family=family).exists()


def test_the_offer_files_a_pending_request_in_one_step(client, worker, family, closed):
    client.force_login(worker)
    html = _refused(client, family, closed).content.decode()
    response = client.post(
        reverse("families:backdating_request_create", args=[family.pk]),
        {
            "backdating-programme": closed.pk,
            "backdating-children": [c.pk for c in family.children.all()],
            "backdating-enrolled_on": "31.8.2021",
            "backdating-reason": "Palvelu alkoi elokuussa; kirjaus viivästyi.",
            "backdating-form_token": _token(html, "backdating"),
        },
        follow=True,
    )
    request = BackdatingRequest.objects.get(family=family)
    assert (request.status, request.enrolled_on, request.requested_by) == (
        BackdatingStatus.PENDING,
        D(2021, 8, 31),
        worker,
    )
    page = response.content.decode()
    assert "lähetettiin ohjelman koordinaattorin hyväksyttäväksi" in page
    assert "odottaa koordinaattorin hyväksyntää" in page  # the family page shows the pending request


def test_the_request_needs_a_reason(client, worker, family, closed):
    client.force_login(worker)
    url = reverse("families:backdating_request_create", args=[family.pk])
    response = client.post(
        url,
        {
            "backdating-programme": closed.pk,
            "backdating-children": [c.pk for c in family.children.all()],
            "backdating-enrolled_on": "31.8.2021",
            "backdating-reason": "",
            "backdating-form_token": _token(client.get(url).content.decode(), "backdating"),
        },
    )
    assert response.status_code == 400
    assert not BackdatingRequest.objects.exists()


def test_the_coordinators_inbox_lists_the_filed_request(client, worker, family, closed):
    client.force_login(worker)
    html = _refused(client, family, closed).content.decode()
    client.post(
        reverse("families:backdating_request_create", args=[family.pk]),
        {
            "backdating-programme": closed.pk,
            "backdating-children": [c.pk for c in family.children.all()],
            "backdating-enrolled_on": "31.8.2021",
            "backdating-reason": "Palvelu alkoi elokuussa.",
            "backdating-form_token": _token(html, "backdating"),
        },
    )
    client.force_login(UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[closed]))
    assert "Palvelu alkoi elokuussa." in client.get(reverse("programs:inbox")).content.decode()
