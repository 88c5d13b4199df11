"""Consent per purpose (defect 8): disclosure to the provider gates the provider's access; a withdrawn
participation consent offers the exit and restricts processing from that day; evaluation consent gates the
evaluator's own observations; register extracts (the intention-to-treat cohort's outcomes) stay allowed."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from families.models import ConsentScope
from families.selectors import families_visible_to
from outcomes.models import ObservationSource
from outcomes.services import episode_create, observation_create, visit_create
from sibcase.errors import DomainError
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeMetricFactory,
    ServiceEpisodeFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def episode(municipality):
    family = FamilyFactory(municipality=municipality)
    child = ChildFactory(family=family)
    enrollment = EnrollmentFactory(family=family, children=[child], enrolled_on=D(2024, 2, 1))
    return ServiceEpisodeFactory(enrollment=enrollment, child=child)


@pytest.fixture
def guardian(episode):
    return GuardianFactory(family=episode.family)


def _consent(guardian, episode, scope, **kwargs):
    return ConsentFactory(
        guardian=guardian, programme=episode.enrollment.programme, scope=scope, given_on=D(2024, 1, 15), **kwargs
    )


def _provider_worker(episode):
    return UserFactory(role=Role.PROVIDER_WORKER, municipality=None, provider=episode.provider)


def test_provider_does_not_see_a_family_without_a_sharing_consent(episode):
    assert episode.family not in families_visible_to(_provider_worker(episode))


def test_provider_sees_the_family_while_the_sharing_consent_is_valid(episode, guardian):
    _consent(guardian, episode, ConsentScope.PROVIDER_SHARING)
    assert episode.family in families_visible_to(_provider_worker(episode))


def test_provider_access_ends_when_the_sharing_consent_is_withdrawn(episode, guardian):
    _consent(guardian, episode, ConsentScope.PROVIDER_SHARING, withdrawn_on=D(2024, 6, 1))
    assert episode.family not in families_visible_to(_provider_worker(episode))


def test_a_participation_consent_alone_does_not_disclose_to_the_provider(episode, guardian):
    _consent(guardian, episode, ConsentScope.PARTICIPATION)
    assert episode.family not in families_visible_to(_provider_worker(episode))


def test_provider_page_is_404_without_a_sharing_consent(client, episode):
    client.force_login(_provider_worker(episode))
    assert client.get(reverse("families:detail", args=[episode.family_id])).status_code == 404


def test_withdrawn_participation_offers_the_exit_on_the_family_page(client, social_worker, episode, guardian):
    _consent(guardian, episode, ConsentScope.PARTICIPATION, withdrawn_on=D(2024, 6, 1))
    client.force_login(social_worker)
    page = client.get(reverse("families:detail", args=[episode.family_id])).content.decode()
    assert reverse("families:enrollment_exit", args=[episode.enrollment_id]) in page
    assert "suostumus ohjelmaan osallistumiseen on peruttu" in page


def test_a_valid_participation_consent_shows_no_exit_prompt(client, social_worker, episode, guardian):
    _consent(guardian, episode, ConsentScope.PARTICIPATION)
    client.force_login(social_worker)
    page = client.get(reverse("families:detail", args=[episode.family_id])).content.decode()
    assert "suostumus ohjelmaan osallistumiseen on peruttu" not in page


def test_no_episode_starts_after_the_withdrawal(episode, guardian):
    _consent(guardian, episode, ConsentScope.PARTICIPATION, withdrawn_on=D(2024, 6, 1))
    service = ServiceFactory(provider=episode.provider)
    episode.enrollment.programme.services.add(service)
    with pytest.raises(DomainError) as exc:
        episode_create(actor=None, enrollment=episode.enrollment, service=service, start_date=D(2024, 6, 1))
    assert exc.value.codes == ["consent_withdrawn"]


def test_an_episode_before_the_withdrawal_can_still_be_recorded(episode, guardian):
    _consent(guardian, episode, ConsentScope.PARTICIPATION, withdrawn_on=D(2024, 6, 1))
    service = ServiceFactory(provider=episode.provider)
    episode.enrollment.programme.services.add(service)
    created = episode_create(actor=None, enrollment=episode.enrollment, service=service, start_date=D(2024, 5, 31))
    assert created.pk


def test_no_visit_after_the_withdrawal(episode, guardian):
    _consent(guardian, episode, ConsentScope.PARTICIPATION, withdrawn_on=D(2024, 6, 1))
    with pytest.raises(DomainError) as exc:
        visit_create(actor=None, episode=episode, visited_on=D(2024, 6, 2), duration_minutes=30)
    assert exc.value.codes == ["consent_withdrawn"]


def test_no_worker_observation_after_the_withdrawal(episode, guardian):
    _consent(guardian, episode, ConsentScope.PARTICIPATION, withdrawn_on=D(2024, 6, 1))
    metric = OutcomeMetricFactory(programme=episode.enrollment.programme)
    with pytest.raises(DomainError) as exc:
        observation_create(
            actor=None,
            metric=metric,
            child=episode.child,
            period_start=D(2024, 7, 1),
            period_end=None,
            value=Decimal("1"),
            source=ObservationSource.SOCIAL_WORKER,
        )
    assert exc.value.codes == ["consent_withdrawn"]


def test_register_extracts_are_kept_after_the_withdrawal(episode, guardian):
    """Intention to treat: the cohort's outcomes are measured from the municipality's register regardless."""
    _consent(guardian, episode, ConsentScope.PARTICIPATION, withdrawn_on=D(2024, 6, 1))
    metric = OutcomeMetricFactory(programme=episode.enrollment.programme)
    observation = observation_create(
        actor=None,
        metric=metric,
        child=episode.child,
        period_start=D(2024, 7, 1),
        period_end=None,
        value=Decimal("3"),
        source=ObservationSource.REGISTER_EXTRACT,
    )
    assert observation.pk


def test_no_evaluator_observation_after_the_evaluation_consent_is_withdrawn(episode, guardian):
    _consent(guardian, episode, ConsentScope.EVALUATION, withdrawn_on=D(2024, 6, 1))
    metric = OutcomeMetricFactory(programme=episode.enrollment.programme)
    with pytest.raises(DomainError) as exc:
        observation_create(
            actor=None,
            metric=metric,
            child=episode.child,
            period_start=D(2024, 7, 1),
            period_end=None,
            value=Decimal("2"),
            source=ObservationSource.EVALUATOR,
        )
    assert exc.value.codes == ["consent_withdrawn"]
