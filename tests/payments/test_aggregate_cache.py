"""Whole-programme aggregates in the shared cache (issue 14): each change the aggregates depend on shows on the
pages at once, and the pages work when the cache is unreachable.

The cache is on here as in production (the test settings turn it off). A change made through a service supersedes
the cached figures after its commit: ``django_capture_on_commit_callbacks(execute=True)`` runs that commit hook.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from families.models import EnrollmentStatus
from families.services import enrollment_activate, enrollment_create, enrollment_exit
from outcomes.models import ObservationSource, OutcomeObservation
from outcomes.services import observation_correct, observation_create, observation_void
from payments.models import StatementKind, StatementStatus
from payments.services.statements import statement_calculate
from sibcase.models import Role
from sibcase.settings.caches import cache_settings

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeObservationFactory,
    UserFactory,
)
from ..support import RedisServer
from . import signing

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR_2024 = {"kind": StatementKind.ANNUAL, "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}


@pytest.fixture
def cached(settings):
    settings.SIBCASE = {**settings.SIBCASE, "AGGREGATE_CACHE_SECONDS": 3600, "FUND_REPORT_CACHE_SECONDS": 300}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def coordinator(worked_example):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[worked_example["programme"]])


@pytest.fixture
def fund_manager(db):
    return UserFactory(role=Role.FUND_MANAGER, municipality=None)


@pytest.fixture
def approved(worked_example, coordinator):
    programme = worked_example["programme"]
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    return signing.approve(statement_calculate(programme=programme, **YEAR_2024), evaluator, coordinator)


@pytest.fixture
def six_children(worked_example):
    """Three more active children in the worked example: a cohort of six, published as a figure, not "<5"."""
    programme = worked_example["programme"]
    for _ in range(3):
        family = FamilyFactory(municipality=programme.municipality)
        EnrollmentFactory(
            programme=programme, family=family, enrolled_on=D(2023, 2, 1), children=[ChildFactory(family=family)]
        )
    return programme


def _consenting_family(programme):
    family = FamilyFactory(municipality=programme.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2019, 1, 1))
    return family


def _changes_shown(client, user, statement) -> list:
    client.force_login(user)
    response = client.get(reverse("payments:statement_detail", args=[statement.pk]))
    assert response.status_code == 200
    return response.context["changed_after_validation"]


def _status_counts(client, user, programme) -> dict:
    client.force_login(user)
    response = client.get(reverse("programs:detail", args=[programme.pk]))
    assert response.status_code == 200
    return response.context["overview"].counts


def _cohort_children_shown(client, user, programme):
    client.force_login(user)
    response = client.get(reverse("fund:programme", args=[programme.pk]))
    assert response.status_code == 200
    return response.context["report"].children


def test_the_figure_is_served_from_the_cache_until_a_change_supersedes_it(
    cached, approved, worked_example, client, coordinator
):
    assert _changes_shown(client, coordinator, approved) == []
    # Written around the services (no commit hook): the cached figure stands, so the cache is really in use.
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 10, 1)
    )
    assert _changes_shown(client, coordinator, approved) == []


def test_a_recorded_observation_shows_on_the_statement_page_at_once(
    cached, approved, worked_example, client, coordinator, django_capture_on_commit_callbacks
):
    assert _changes_shown(client, coordinator, approved) == []
    with django_capture_on_commit_callbacks(execute=True):
        observation_create(
            actor=None,
            metric=worked_example["open_care"],
            child=worked_example["a"],
            period_start=D(2024, 10, 1),
            period_end=None,
            value=Decimal("1"),
            source=ObservationSource.REGISTER_EXTRACT,
        )
    assert _changes_shown(client, coordinator, approved) == [("observations_added", 1)]


def test_a_corrected_observation_shows_on_the_statement_page_at_once(
    cached, approved, worked_example, client, coordinator, django_capture_on_commit_callbacks
):
    observation = OutcomeObservation.objects.get(child=worked_example["a"], metric=worked_example["out_of_home"])
    assert _changes_shown(client, coordinator, approved) == []
    with django_capture_on_commit_callbacks(execute=True):
        observation_correct(actor=None, observation=observation, value=Decimal("12"), reason="Väärä luku")
    assert _changes_shown(client, coordinator, approved) == [("observations_changed", 1)]


def test_a_voided_observation_shows_on_the_statement_page_at_once(
    cached, approved, worked_example, client, coordinator, django_capture_on_commit_callbacks
):
    observation = OutcomeObservation.objects.get(child=worked_example["a"], metric=worked_example["out_of_home"])
    assert _changes_shown(client, coordinator, approved) == []
    with django_capture_on_commit_callbacks(execute=True):
        observation_void(actor=None, observation=observation, reason="Kirjattu väärälle lapselle")
    assert _changes_shown(client, coordinator, approved) == [("observations_removed", 1)]


def test_an_activated_enrollment_shows_in_the_frozen_cohorts_changes_at_once(
    cached, approved, worked_example, client, coordinator, django_capture_on_commit_callbacks
):
    programme = worked_example["programme"]
    queued = EnrollmentFactory(
        programme=programme,
        family=_consenting_family(programme),
        enrolled_on=D(2024, 5, 1),
        status=EnrollmentStatus.WAITLISTED,
        activated_on=None,
    )
    queued.children.set([queued.family.children.first()])
    assert _changes_shown(client, coordinator, approved) == []
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_activate(actor=None, enrollment=queued, activated_on=D(2024, 6, 1))
    assert _changes_shown(client, coordinator, approved) == [("cohort_added", 1)]


def test_a_created_enrollment_shows_on_the_programme_page_at_once(
    cached, worked_example, client, coordinator, django_capture_on_commit_callbacks
):
    programme = worked_example["programme"]
    before = _status_counts(client, coordinator, programme)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_create(
            actor=None, programme=programme, family=_consenting_family(programme), enrolled_on=timezone.localdate()
        )
    assert _status_counts(client, coordinator, programme)["active"] == before["active"] + 1


def test_an_exited_enrollment_shows_on_the_programme_page_at_once(
    cached, worked_example, client, coordinator, django_capture_on_commit_callbacks
):
    programme = worked_example["programme"]
    enrollment = worked_example["a"].enrollments.get(programme=programme)
    before = _status_counts(client, coordinator, programme)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_exit(actor=None, enrollment=enrollment, exit_date=D(2024, 12, 31), reason="moved_away")
    after = _status_counts(client, coordinator, programme)
    assert (after["active"], after["exited"]) == (before["active"] - 1, before["exited"] + 1)


def test_an_activated_enrollment_shows_in_the_fund_managers_cohort_at_once(
    cached, six_children, client, fund_manager, django_capture_on_commit_callbacks
):
    programme = six_children
    with django_capture_on_commit_callbacks(execute=True):
        queued = enrollment_create(
            actor=None, programme=programme, family=_consenting_family(programme), enrolled_on=D(2024, 5, 1)
        )
    assert _cohort_children_shown(client, fund_manager, programme) == 5  # 7, published rounded to base 5
    programme.capacity, programme.waitlist_when_full = 6, True  # six active now: the next family queues
    programme.save(update_fields=["capacity", "waitlist_when_full"])
    with django_capture_on_commit_callbacks(execute=True):
        waiting = enrollment_create(
            actor=None, programme=programme, family=_consenting_family(programme), enrolled_on=D(2024, 5, 1)
        )
    assert waiting.status == EnrollmentStatus.WAITLISTED
    assert _cohort_children_shown(client, fund_manager, programme) == 5  # a queued family is not in the cohort
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_exit(actor=None, enrollment=queued, exit_date=D(2024, 6, 1), reason="other")
        enrollment_activate(actor=None, enrollment=waiting, activated_on=D(2024, 6, 2))
    assert _cohort_children_shown(client, fund_manager, programme) == 10  # 8, rounded


def test_a_statement_transition_shows_on_the_fund_overview_at_once(
    cached, six_children, client, fund_manager, coordinator, django_capture_on_commit_callbacks
):
    statement = statement_calculate(programme=six_children, **YEAR_2024)
    client.force_login(fund_manager)

    def approved_shown():
        rows = client.get(reverse("fund:overview")).context["rows"]
        return next(row for row in rows if row.programme.pk == six_children.pk).approved

    assert approved_shown() == Decimal("0.00")
    with django_capture_on_commit_callbacks(execute=True):
        signing.approve(statement, UserFactory(role=Role.EVALUATOR, municipality=None), coordinator)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVED
    assert approved_shown() == statement.payable


@pytest.fixture
def redis_down():
    server = RedisServer()
    server.start()
    with override_settings(CACHES=cache_settings(f"redis://127.0.0.1:{server.port}/1")):
        cache.set("probe", "up")
        assert cache.get("probe") == "up"
        server.stop()
        yield
    server.stop()


def test_the_pages_work_and_show_todays_figures_with_the_cache_unreachable(
    cached, redis_down, approved, worked_example, client, coordinator, fund_manager
):
    programme = worked_example["programme"]
    assert _changes_shown(client, coordinator, approved) == []
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 10, 1)
    )
    # Nothing was cached and nothing superseded: every request computes from the database.
    assert _changes_shown(client, coordinator, approved) == [("observations_added", 1)]
    assert _status_counts(client, coordinator, programme)["active"] == 2
    for url in (reverse("fund:overview"), reverse("fund:programme", args=[programme.pk])):
        client.force_login(fund_manager)
        assert client.get(url).status_code == 200, url
