"""Every display of a person's data leaves an access-log row with its basis: the form pages that show a family,
the admin's pages of people, and refused attempts (403/404) on a person's record."""

import pytest
from django.urls import reverse

from sibcase.models import AccessAction, AccessLogEntry, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    MunicipalityFactory,
    OutcomeObservationFactory,
    ServiceEpisodeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(municipality):
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    GuardianFactory(family=family)
    return family


def _viewed(user, family, path):
    return AccessLogEntry.objects.filter(user=user, family=family, action=AccessAction.VIEW, path=path).exclude(
        basis=""
    )


@pytest.mark.parametrize(
    "url_name",
    [
        "families:consent_create",
        "families:enrollment_create",
        "outcomes:assessment_create",
        "outcomes:episode_create",
        "outcomes:observation_create",
        "outcomes:visit_create",
    ],
)
def test_a_form_page_of_a_family_is_logged(client, social_worker, family, url_name):
    client.force_login(social_worker)
    url = reverse(url_name, args=[family.pk])
    assert client.get(url).status_code == 200
    assert _viewed(social_worker, family, url).count() == 1


def test_the_consent_withdrawal_page_is_logged(client, social_worker, family):
    consent = ConsentFactory(guardian=family.guardians.get())
    client.force_login(social_worker)
    url = reverse("families:consent_withdraw", args=[consent.pk])
    assert client.get(url).status_code == 200
    assert _viewed(social_worker, family, url).count() == 1


def test_the_exit_page_is_logged(client, social_worker, family):
    enrollment = EnrollmentFactory(family=family)
    client.force_login(social_worker)
    url = reverse("families:enrollment_exit", args=[enrollment.pk])
    assert client.get(url).status_code == 200
    assert _viewed(social_worker, family, url).count() == 1


def test_a_provider_workers_visit_page_is_logged(client, family):
    episode = ServiceEpisodeFactory(family=family, enrollment=EnrollmentFactory(family=family))
    ConsentFactory(guardian=family.guardians.get(), programme=episode.enrollment.programme, scope="provider_sharing")
    worker = UserFactory(role=Role.PROVIDER_WORKER, provider=episode.provider, municipality=None)
    client.force_login(worker)
    url = reverse("outcomes:visit_create", args=[family.pk])
    assert client.get(url).status_code == 200
    assert _viewed(worker, family, url).count() == 1


@pytest.mark.parametrize("kind", ["child", "guardian"])
def test_the_admin_page_of_a_person_is_logged_with_the_person(client, admin_user, family, kind):
    person = getattr(family, f"{kind}ren" if kind == "child" else "guardians").get()
    client.force_login(admin_user)
    url = reverse(f"admin:families_{kind}_change", args=[person.pk])
    assert client.get(url).status_code == 200
    row = _viewed(admin_user, family, url).get()
    assert (row.person_type, row.person_id) == (kind, person.pk)


def test_the_admin_page_of_a_family_is_logged(client, admin_user, family):
    client.force_login(admin_user)
    url = reverse("admin:families_family_change", args=[family.pk])
    assert client.get(url).status_code == 200
    assert _viewed(admin_user, family, url).count() == 1


def test_the_admin_page_of_an_observation_is_logged_with_the_child(client, admin_user, family):
    observation = OutcomeObservationFactory(child=family.children.get())
    client.force_login(admin_user)
    url = reverse("admin:outcomes_outcomeobservation_change", args=[observation.pk])
    assert client.get(url).status_code == 200
    assert _viewed(admin_user, family, url).get().person_id == observation.child_id


def test_the_admin_list_of_children_is_logged(client, admin_user, family):
    client.force_login(admin_user)
    assert client.get(reverse("admin:families_child_changelist")).status_code == 200
    assert AccessLogEntry.objects.filter(user=admin_user, family=family, action=AccessAction.LIST).exists()


def test_another_municipalitys_family_is_a_logged_refusal(client, social_worker):
    other = FamilyFactory(municipality=MunicipalityFactory(code="091"))
    client.force_login(social_worker)
    assert client.get(reverse("families:detail", args=[other.pk])).status_code == 404
    row = AccessLogEntry.objects.get(user=social_worker, action=AccessAction.REFUSED)
    assert row.target == f"families.family:{other.pk}"
    assert row.basis


def test_a_missing_person_is_a_logged_refusal(client, social_worker):
    client.force_login(social_worker)
    assert client.get(reverse("families:person_detail", args=["child", 987654])).status_code == 404
    assert AccessLogEntry.objects.get(user=social_worker, action=AccessAction.REFUSED).target == "families.child:987654"


def test_a_role_refused_on_a_family_form_is_logged(client, family):
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    client.force_login(evaluator)
    assert client.get(reverse("outcomes:observation_create", args=[family.pk])).status_code == 403
    assert AccessLogEntry.objects.get(user=evaluator, action=AccessAction.REFUSED).target == (
        f"families.family:{family.pk}"
    )


def test_a_refused_exit_page_names_the_enrollment(client, social_worker):
    enrollment = EnrollmentFactory(family=FamilyFactory(municipality=MunicipalityFactory(code="091")))
    client.force_login(social_worker)
    assert client.get(reverse("families:enrollment_exit", args=[enrollment.pk])).status_code == 404
    assert AccessLogEntry.objects.get(user=social_worker, action=AccessAction.REFUSED).target == (
        f"families.enrollment:{enrollment.pk}"
    )
