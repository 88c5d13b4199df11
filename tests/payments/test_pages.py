"""The payment pages: a coordinator triggers a run, anyone allowed reads the statement line by line."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import PaymentRun, PaymentStatement, RunStatus, StatementKind, StatementStatus
from payments.services.statements import statement_calculate
from sibcase.models import AccessLogEntry, Role
from sibcase.pseudonym import statement_pseudonym

from ..factories import ChildFactory, EnrollmentFactory, ProgrammeFactory, UserFactory
from . import signing

D = datetime.date
YEAR_2024 = {"kind": StatementKind.ANNUAL, "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}


@pytest.fixture
def coordinator(worked_example):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[worked_example["programme"]])


@pytest.fixture
def evaluator(db):
    return UserFactory(role=Role.EVALUATOR, municipality=None)


@pytest.fixture
def statement(worked_example):
    return statement_calculate(programme=worked_example["programme"], **YEAR_2024)


def test_coordinator_triggers_the_2024_run_and_reads_the_worked_example(
    client, coordinator, worked_example, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("payments:run_create"),
            {"programme": worked_example["programme"].pk, "kind": "annual", "year": 2024, "quarter": ""},
        )
    run = PaymentRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("payments:run_detail", args=[run.pk])
    assert run.status == RunStatus.SUCCEEDED  # eager in tests: the worker ran at commit
    page = client.get(reverse("payments:statement_detail", args=[run.statement_id])).content.decode()
    for figure in ("916", "2,5027", "16\xa0267,76", "6\xa0220,00", "10\xa0047,76", "5\xa0023,88", "1\xa0120,00"):
        assert figure in page, figure


def test_run_form_refuses_a_preview_without_a_quarter(client, coordinator, worked_example):
    client.force_login(coordinator)
    response = client.post(
        reverse("payments:run_create"),
        {"programme": worked_example["programme"].pk, "kind": "preview", "year": 2024, "quarter": ""},
    )
    assert response.status_code == 400
    assert "Valitse neljännes" in response.content.decode()
    assert not PaymentRun.objects.exists()


def test_run_form_refuses_a_future_year(client, coordinator, worked_example):
    client.force_login(coordinator)
    response = client.post(
        reverse("payments:run_create"),
        {"programme": worked_example["programme"].pk, "kind": "annual", "year": 2032, "quarter": ""},
    )
    assert response.status_code == 400
    assert not PaymentRun.objects.exists()


def test_coordinator_cannot_run_another_programme(client, coordinator, worked_example):
    other = ProgrammeFactory()
    client.force_login(coordinator)
    response = client.post(
        reverse("payments:run_create"), {"programme": other.pk, "kind": "annual", "year": 2024, "quarter": ""}
    )
    assert response.status_code == 400
    assert not PaymentRun.objects.exists()


def test_coordinator_gets_404_for_another_programmes_statement(client, statement):
    stranger = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[ProgrammeFactory()])
    client.force_login(stranger)
    assert client.get(reverse("payments:statement_detail", args=[statement.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.FUND_MANAGER, Role.SOCIAL_WORKER, Role.PROVIDER_WORKER])
def test_roles_outside_payments_get_403(client, statement, role):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("payments:statement_list")).status_code == 403
    assert client.get(reverse("payments:statement_detail", args=[statement.pk])).status_code == 403
    assert client.get(reverse("payments:statement_children", args=[statement.pk])).status_code == 403


def test_coordinator_cannot_open_the_per_child_detail(client, coordinator, statement):
    client.force_login(coordinator)
    assert client.get(reverse("payments:statement_children", args=[statement.pk])).status_code == 403


def test_evaluator_sees_children_only_under_pseudonyms_and_the_read_is_logged(
    client, evaluator, statement, worked_example
):
    client.force_login(evaluator)
    page = client.get(reverse("payments:statement_children", args=[statement.pk])).content.decode()
    child = worked_example["a"]
    assert statement_pseudonym(statement_id=statement.pk, child_id=child.pk) in page
    assert child.last_name not in page and child.identity_code not in page
    assert "3\xa0300,00" in page  # child a: 10 out-of-home days × 330
    assert AccessLogEntry.objects.filter(user=evaluator, family_id=child.family_id).exists()


def _query_count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_per_child_detail_queries_do_not_grow_with_the_cohort(
    client, evaluator, statement, worked_example, django_assert_max_num_queries
):
    client.force_login(evaluator)
    url = reverse("payments:statement_children", args=[statement.pk])
    few = _query_count(client, url)
    for _ in range(40):
        EnrollmentFactory(programme=worked_example["programme"], enrolled_on=D(2024, 2, 1), children=[ChildFactory()])
    with django_assert_max_num_queries(few):
        client.get(url)


def test_statement_list_queries_do_not_grow_with_statements(
    client, coordinator, worked_example, django_assert_max_num_queries
):
    client.force_login(coordinator)
    statement_calculate(programme=worked_example["programme"], **YEAR_2024)
    url = reverse("payments:statement_list")
    few = _query_count(client, url)
    for quarter_start in (D(2024, 1, 1), D(2024, 4, 1), D(2024, 7, 1)):
        statement_calculate(
            programme=worked_example["programme"],
            kind=StatementKind.PREVIEW,
            period_start=quarter_start,
            period_end=quarter_start.replace(month=quarter_start.month + 2, day=28),
        )
    with django_assert_max_num_queries(few):
        client.get(url)


def test_evaluator_validates_and_coordinator_approves_through_the_page(client, evaluator, coordinator, statement):
    signing.check_sample(statement, evaluator)
    client.force_login(evaluator)
    url = reverse("payments:statement_transition", args=[statement.pk])
    client.post(url, {"to_status": "validated"})
    client.force_login(coordinator)
    client.post(url, {"to_status": "approved"})
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVED


def test_coordinator_cannot_validate(client, coordinator, statement):
    client.force_login(coordinator)
    response = client.post(
        reverse("payments:statement_transition", args=[statement.pk]), {"to_status": "validated"}, follow=True
    )
    assert "Roolisi ei voi tehdä tätä tilamuutosta." in response.content.decode()
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT


def test_marking_paid_without_a_reference_keeps_the_input_and_changes_nothing(
    client, evaluator, coordinator, statement
):
    signing.approve(statement, evaluator, coordinator)
    treasurer = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[statement.programme])
    client.force_login(treasurer)
    response = client.post(
        reverse("payments:statement_transition", args=[statement.pk]),
        {"to_status": "paid", "paid_on": "2025-03-01", "payment_reference": ""},
    )
    assert response.status_code == 400
    assert 'value="2025-03-01"' in response.content.decode()
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVED


def test_recalculating_a_draft_replaces_it(
    client, coordinator, statement, worked_example, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("payments:statement_recalculate", args=[statement.pk]))
    new = PaymentStatement.objects.get()
    assert new.pk == statement.pk  # a draft is recalculated in place, its previous figures kept for the diff
    assert new.payable == Decimal("5023.88")
    assert new.previous_figures["payable"] == "5023.88"


def _record_2024_comparison_cost(client, programme, cost: str):
    return client.post(
        reverse("payments:comparison_cost_create"),
        {
            "cmp-programme": programme.pk,
            "cmp-kind": "annual",
            "cmp-year": 2024,
            "cmp-quarter": "",
            "cmp-cost_per_child_year": cost,
        },
    )


def test_evaluator_records_the_comparison_group_figure_and_the_calculation_uses_it(
    client, evaluator, worked_example, django_capture_on_commit_callbacks
):
    from payments.models import ComparisonGroupCost
    from sibcase.models import AuditEvent

    worked_example["terms"].counterfactual_basis = "comparison_group"
    worked_example["terms"].save()
    client.force_login(evaluator)
    response = _record_2024_comparison_cost(client, worked_example["programme"], "7320.00")
    assert response.status_code == 302
    figure = ComparisonGroupCost.objects.get()
    assert (figure.period_start, figure.period_end, figure.entered_by) == (D(2024, 1, 1), D(2024, 12, 31), evaluator)
    assert AuditEvent.objects.filter(event_type="comparison_cost.recorded").exists()
    statement = statement_calculate(programme=worked_example["programme"], **YEAR_2024)
    assert statement.counterfactual_cost == Decimal("18320.00")  # 916 × 7,320 / 366


def test_comparison_figure_of_an_approved_period_cannot_change(
    client, evaluator, coordinator, statement, worked_example
):
    from payments.models import ComparisonGroupCost

    signing.approve(statement, evaluator, coordinator)
    client.force_login(evaluator)
    response = _record_2024_comparison_cost(client, worked_example["programme"], "1.00")
    assert response.status_code == 400
    assert "jo hyväksytty" in response.content.decode()
    assert not ComparisonGroupCost.objects.exists()


def test_coordinators_do_not_record_comparison_figures(client, coordinator, worked_example):
    client.force_login(coordinator)
    response = client.post(
        reverse("payments:comparison_cost_create"), {"cmp-programme": worked_example["programme"].pk}
    )
    assert response.status_code == 403
