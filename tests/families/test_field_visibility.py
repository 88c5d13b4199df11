"""One visibility rule per role (sibcase.permissions.visible_fields) for pages and API: compared field by field."""

import pytest
from django.urls import reverse
from django.utils.formats import date_format
from rest_framework.test import APIClient

from families.apis import ChildSerializer, GuardianSerializer
from sibcase.models import Role
from sibcase.permissions import visible_fields

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    ServiceEpisodeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(db):
    family = FamilyFactory()
    child = ChildFactory(family=family)
    guardian = GuardianFactory(family=family, last_name="Huoltajanen", employment_status="unemployed")
    episode = ServiceEpisodeFactory(family=family, enrollment=EnrollmentFactory(family=family, children=[child]))
    ConsentFactory(guardian=guardian, programme=episode.enrollment.programme, scope="provider_sharing")
    worker = UserFactory(role=Role.PROVIDER_WORKER, provider=episode.provider, municipality=None)
    return {"family": family, "child": child, "guardian": guardian, "worker": worker}


def _api_family(user, family) -> dict:
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(reverse("api:family-detail", args=[family.pk]))
    assert response.status_code == 200
    return response.json()


def _pages(client, setting) -> str:
    client.force_login(setting["worker"])
    pages = [
        client.get(reverse("families:detail", args=[setting["family"].pk])),
        client.get(reverse("families:person_detail", args=["child", setting["child"].pk])),
        client.get(reverse("families:list")),
    ]
    assert all(page.status_code == 200 for page in pages)
    return "".join(page.content.decode() for page in pages)


def _shown(value) -> list[str]:
    """The ways a value can appear: as stored, and a date as the pages write it."""
    if hasattr(value, "isoformat"):
        return [value.isoformat(), date_format(value, "j.n.Y")]
    return [str(value)]


def test_provider_api_child_has_exactly_the_fields_of_the_rule(setting):
    data = _api_family(setting["worker"], setting["family"])
    expected = visible_fields(setting["worker"], "child") & set(ChildSerializer.Meta.fields)
    assert set(data["children"][0]) == expected
    assert "guardians" not in data


@pytest.mark.parametrize("kind", ["child", "guardian"])
def test_provider_page_and_api_show_and_hide_the_same_fields(client, setting, kind):
    person = setting[kind]
    serializer_fields = {"child": ChildSerializer, "guardian": GuardianSerializer}[kind].Meta.fields
    api_text = str(_api_family(setting["worker"], setting["family"]))
    page_text = _pages(client, setting)
    visible = visible_fields(setting["worker"], kind)
    for field in serializer_fields:
        if field == "id":
            continue
        value = getattr(person, field)
        forms = _shown(value) if field != "employment_status" else [person.get_employment_status_display()]
        in_api = any(form in api_text for form in _shown(value))
        in_page = any(form in page_text for form in forms)
        assert in_api == in_page == (field in visible), (kind, field)


def test_a_social_worker_sees_the_guardians_fields_in_both(client, municipality, social_worker):
    family = FamilyFactory(municipality=municipality)
    guardian = GuardianFactory(family=family)
    data = _api_family(social_worker, family)
    assert set(data["guardians"][0]) == visible_fields(social_worker, "guardian") & set(GuardianSerializer.Meta.fields)
    client.force_login(social_worker)
    page = client.get(reverse("families:detail", args=[family.pk])).content.decode()
    assert guardian.get_employment_status_display() in page


def test_provider_cannot_open_a_guardians_page(client, setting):
    client.force_login(setting["worker"])
    url = reverse("families:person_detail", args=["guardian", setting["guardian"].pk])
    assert client.get(url).status_code == 404
