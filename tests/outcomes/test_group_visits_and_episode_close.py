"""Group sessions recorded for many episodes at once (all or nothing); episodes end when the participation ends."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from families.models import ConsentScope
from families.services import enrollment_exit
from outcomes.models import OutcomeObservation, ServiceVisit
from outcomes.services import visits_create_for_group
from sibcase.errors import DomainError
from sibcase.models import Role

from ..factories import (
    ConsentFactory,
    EnrollmentFactory,
    GuardianFactory,
    OutcomeObservationFactory,
    ServiceEpisodeFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def service():
    return ServiceFactory()


def _team(service, n):
    episodes = []
    for _ in range(n):
        enrollment = EnrollmentFactory(enrolled_on=D(2024, 1, 1))
        child = enrollment.children.get()
        # The provider sees the family only with the guardian's consent to share it with the provider.
        ConsentFactory(
            guardian=GuardianFactory(family=enrollment.family),
            programme=enrollment.programme,
            scope=ConsentScope.PROVIDER_SHARING,
            given_on=D(2023, 1, 1),
        )
        episodes.append(
            ServiceEpisodeFactory(enrollment=enrollment, service=service, child=child, start_date=D(2024, 1, 1))
        )
    return episodes


def test_group_visit_saves_one_visit_per_episode(service):
    episodes = _team(service, 3)
    visits_create_for_group(actor=None, episodes=episodes, visited_on=D(2024, 3, 1), duration_minutes=90)
    assert ServiceVisit.objects.filter(visited_on=D(2024, 3, 1)).count() == 3


def test_group_visit_is_all_or_nothing_and_names_the_child(service):
    episodes = _team(service, 2)
    late = episodes[1]
    late.start_date = D(2024, 6, 1)
    late.save()
    with pytest.raises(DomainError) as exc:
        visits_create_for_group(actor=None, episodes=episodes, visited_on=D(2024, 3, 1), duration_minutes=90)
    assert late.child.first_names in exc.value.messages[0]
    assert not ServiceVisit.objects.exists()


def test_provider_worker_records_a_team_practice_in_one_form(client, service):
    episodes = _team(service, 2)
    other = _team(ServiceFactory(), 1)[0]
    worker = UserFactory(role=Role.PROVIDER_WORKER, provider=service.provider)
    client.force_login(worker)
    url = reverse("outcomes:group_visit_create")
    page = client.get(url).content.decode()
    assert episodes[0].child.first_names in page and other.child.first_names not in page
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    response = client.post(
        url,
        {
            "episodes": [e.pk for e in episodes],
            "visited_on": "1.3.2024",
            "duration_minutes": "90",
            "note": "",
            "form_token": token,
        },
    )
    assert response.status_code == 302
    assert ServiceVisit.objects.filter(episode__in=episodes).count() == 2


def test_group_visit_page_queries_do_not_grow_with_the_team(client, service, django_assert_max_num_queries):
    worker = UserFactory(role=Role.PROVIDER_WORKER, provider=service.provider)
    client.force_login(worker)
    _team(service, 1)
    with django_assert_max_num_queries(30) as small:
        client.get(reverse("outcomes:group_visit_create"))
    _team(service, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("outcomes:group_visit_create"))


def test_exit_ends_the_going_episodes(service):
    (episode,) = _team(service, 1)
    enrollment_exit(actor=None, enrollment=episode.enrollment, exit_date=D(2024, 5, 1), reason="completed")
    episode.refresh_from_db()
    assert (episode.status, episode.end_date) == ("completed", D(2024, 5, 1))


def test_exit_cancels_an_episode_that_had_not_begun(service):
    (episode,) = _team(service, 1)
    episode.start_date = D(2024, 6, 1)
    episode.save()
    enrollment_exit(actor=None, enrollment=episode.enrollment, exit_date=D(2024, 5, 1), reason="completed")
    episode.refresh_from_db()
    assert episode.status == "cancelled"


def test_observation_is_voided_from_its_page(client, social_worker):
    enrollment = EnrollmentFactory(family__municipality=social_worker.municipality)
    observation = OutcomeObservationFactory(child=enrollment.children.get(), metric__programme=enrollment.programme)
    client.force_login(social_worker)
    assert (
        f"/observations/{observation.pk}/void/"
        in client.get(reverse("families:detail", args=[enrollment.family_id])).content.decode()
    )
    url = reverse("outcomes:observation_void", args=[observation.pk])
    token = re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)
    assert client.post(url, {"reason": "Väärä lapsi", "form_token": token}).status_code == 302
    assert OutcomeObservation.objects.get(pk=observation.pk).voided_at is not None


def test_observation_is_corrected_from_its_page(client, social_worker):
    enrollment = EnrollmentFactory(family__municipality=social_worker.municipality)
    observation = OutcomeObservationFactory(child=enrollment.children.get(), metric__programme=enrollment.programme)
    client.force_login(social_worker)
    url = reverse("outcomes:observation_correct", args=[observation.pk])
    token = re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)
    assert client.post(url, {"value": "2", "reason": "Lukuvirhe", "form_token": token}).status_code == 302
    assert OutcomeObservation.objects.get(pk=observation.pk).value == Decimal("2")


def test_another_municipalitys_observation_page_is_404(client, social_worker):
    enrollment = EnrollmentFactory()
    observation = OutcomeObservationFactory(child=enrollment.children.get(), metric__programme=enrollment.programme)
    client.force_login(social_worker)
    assert client.get(reverse("outcomes:observation_void", args=[observation.pk])).status_code == 404
