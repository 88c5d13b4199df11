"""What is due: tasks made from the case's state, closed when their cause goes, shown on the home page."""

import datetime

import pytest
from django.urls import reverse

from families.assignments import case_assign
from families.casetasks import ASSESSMENT_DUE_DAYS, tasks_sync
from families.models import CaseTask, EnrollmentStatus, TaskKind
from families.selectors import tasks_due_for_worker
from programs.models import EligibilityRule, RuleKind
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeMetricFactory,
    OutcomeObservationFactory,
    PaymentStatementFactory,
    ProgrammeFactory,
    ServiceNeedsAssessmentFactory,
    UserFactory,
    identity_code,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def programme(municipality):
    return ProgrammeFactory(municipality=municipality)


@pytest.fixture
def enrollment(programme, social_worker):
    family = FamilyFactory(municipality=programme.municipality)
    enrollment = EnrollmentFactory(family=family, programme=programme, enrolled_on=D(2024, 2, 1))
    case_assign(actor=None, family=family, worker=social_worker, role="responsible")
    return enrollment


def _open(family, kind):
    return list(CaseTask.objects.filter(family=family, kind=kind, done_at__isnull=True))


def test_assessment_is_due_after_the_start_and_assigned_to_the_responsible_worker(enrollment, social_worker):
    tasks_sync(family=enrollment.family)
    (task,) = _open(enrollment.family, TaskKind.ASSESSMENT)
    assert task.due_on == D(2024, 2, 1) + datetime.timedelta(days=ASSESSMENT_DUE_DAYS)
    assert task.assigned_to == social_worker


def test_recording_the_assessment_resolves_its_task(enrollment):
    tasks_sync(family=enrollment.family)
    ServiceNeedsAssessmentFactory(family=enrollment.family)
    tasks_sync(family=enrollment.family)
    assert _open(enrollment.family, TaskKind.ASSESSMENT) == []


def test_sync_is_idempotent(enrollment):
    tasks_sync(family=enrollment.family)
    count = CaseTask.objects.count()
    tasks_sync(family=enrollment.family)
    assert CaseTask.objects.count() == count


def test_follow_up_moves_with_the_latest_observation(enrollment):
    tasks_sync(family=enrollment.family)
    child = enrollment.children.get()
    metric = OutcomeMetricFactory(programme=enrollment.programme)
    OutcomeObservationFactory(child=child, metric=metric, period_start=D(2024, 6, 1), period_end=D(2024, 6, 30))
    tasks_sync(family=enrollment.family)
    (task,) = _open(enrollment.family, TaskKind.FOLLOW_UP)
    assert task.due_on == D(2024, 6, 30) + datetime.timedelta(days=182)


def test_consent_renewal_is_due_a_year_after_it_was_given(enrollment):
    ConsentFactory(
        guardian=GuardianFactory(family=enrollment.family), programme=enrollment.programme, given_on=D(2024, 1, 15)
    )
    tasks_sync(family=enrollment.family)
    (task,) = _open(enrollment.family, TaskKind.CONSENT_RENEWAL)
    assert task.due_on == D(2025, 1, 14)


def test_a_child_ageing_out_is_due_for_exit_on_the_birthday_after_the_max_age(programme, social_worker):
    EligibilityRule.objects.create(programme=programme, kind=RuleKind.CHILD_AGE, min_age=0, max_age=6)
    family = FamilyFactory(municipality=programme.municipality)
    child = ChildFactory(family=family, identity_code=identity_code(4242, birth=D(2018, 5, 3)))
    EnrollmentFactory(family=family, programme=programme, children=[child])
    tasks_sync(family=family)
    (task,) = _open(family, TaskKind.AGE_OUT_EXIT)
    assert (task.child, task.due_on) == (child, D(2025, 5, 3))


def test_exit_resolves_every_task(enrollment):
    tasks_sync(family=enrollment.family)
    enrollment.status, enrollment.exit_date, enrollment.exit_reason = EnrollmentStatus.EXITED, D(2024, 3, 1), "other"
    enrollment.save()
    tasks_sync(family=enrollment.family)
    assert not CaseTask.objects.filter(family=enrollment.family, done_at__isnull=True).exists()


def test_due_tasks_are_split_into_overdue_today_and_upcoming(enrollment, social_worker):
    tasks_sync(family=enrollment.family)
    task = _open(enrollment.family, TaskKind.ASSESSMENT)[0]
    due = tasks_due_for_worker(user=social_worker, today=task.due_on)
    assert task in due.today and task not in due.overdue
    assert task in tasks_due_for_worker(user=social_worker, today=task.due_on + datetime.timedelta(days=1)).overdue


def test_a_colleagues_tasks_are_not_mine(enrollment, municipality):
    tasks_sync(family=enrollment.family)
    colleague = UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)
    assert list(tasks_due_for_worker(user=colleague, today=D(2030, 1, 1)).overdue) == []


def test_home_shows_overdue_tasks_and_childrens_names(client, enrollment, social_worker):
    tasks_sync(family=enrollment.family)
    client.force_login(social_worker)
    page = client.get(reverse("home")).content.decode()
    assert "Palvelutarpeen arvio" in page and "Myöhässä (" in page
    assert enrollment.children.get().first_names in page


def test_marking_a_task_done_records_who(client, enrollment, social_worker):
    tasks_sync(family=enrollment.family)
    task = _open(enrollment.family, TaskKind.ASSESSMENT)[0]
    client.force_login(social_worker)
    assert client.post(reverse("families:task_done", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert task.done_by == social_worker and task.done_at is not None


def test_caseload_filters_by_role(client, enrollment, social_worker):
    client.force_login(social_worker)
    page = client.get(reverse("home"), {"role": "deputy"}).content.decode()
    assert enrollment.family.reference not in page.split('id="caseload-heading"')[1]
    page = client.get(reverse("home"), {"role": "responsible", "sort": "name"}).content.decode()
    assert enrollment.family.reference in page.split('id="caseload-heading"')[1]


def test_coordinators_home_lists_statements_awaiting_approval(client, programme):
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    waiting = PaymentStatementFactory(terms__programme=programme, status="validated", frozen_hash="0" * 64)
    client.force_login(coordinator)
    page = client.get(reverse("home")).content.decode()
    assert reverse("payments:statement_detail", args=[waiting.pk]) in page


def test_home_query_count_does_not_grow_with_the_caseload(
    client, programme, social_worker, django_assert_max_num_queries
):
    client.force_login(social_worker)

    def add_family():
        family = FamilyFactory(municipality=programme.municipality)
        EnrollmentFactory(family=family, programme=programme)
        case_assign(actor=None, family=family, worker=social_worker, role="responsible")
        tasks_sync(family=family)

    add_family()
    with django_assert_max_num_queries(60) as small:
        client.get(reverse("home"))
    for _ in range(8):
        add_family()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("home"))
