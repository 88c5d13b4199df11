"""The INDIGO export (issue 15, item 5): the fund as one INDIGO 4.1.0 project that validates against the pinned
compiled schema, aggregates only."""

import datetime
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft7Validator

from payments.fund_reports.indigo import SCHEMA_PATH, indigo_errors, indigo_project
from payments.models import PaymentStatement, StatementStatus
from payments.services.statements import statement_calculate
from programs.models import InvestorCategory, InvestorFlowKind
from programs.services import investor_create, investor_flow_record
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    ServiceFactory,
    TargetAreaFactory,
    TargetAreaPostalCodeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
REPO_SCHEMA = Path(__file__).resolve().parents[2] / "payments" / "fund_reports" / "standards" / "indigo"
# sha256 of shared/standards/indigo/project.compiled.json (INDIGO 4.1.0 compiled, database-app 9b5ec99)
PINNED_SHA256 = "38167368c1948261e8282d027e3bffaaf9e67960f79224d95f33f6c096bd8d3d"


def _add_children(programme, n, enrolled_on):
    kids = []
    for _ in range(n):
        family = FamilyFactory(municipality=programme.municipality)
        kid = ChildFactory(family=family)
        EnrollmentFactory(programme=programme, family=family, enrolled_on=enrolled_on, children=[kid])
        kids.append(kid)
    return kids


@pytest.fixture
def project(worked_example):
    """The worked example grown to 10 children, with a target area, services, and statements in each state."""
    programme = worked_example["programme"]
    worked_example["more"] = _add_children(programme, 5, D(2023, 3, 1))
    worked_example["small"] = _add_children(programme, 2, D(2020, 5, 1))
    area = TargetAreaFactory(programme=programme, name="Vuosaari")
    TargetAreaPostalCodeFactory(area=area, postal_code="00980")
    programme.services.set([ServiceFactory(), ServiceFactory(provider=None, municipality=programme.municipality)])
    fund = programme.fund
    fund.committed_capital = Decimal("5000000.00")
    fund.save()
    for year in (2020, 2023, 2024):
        statement_calculate(programme=programme, kind="annual", period_start=D(year, 1, 1), period_end=D(year, 12, 31))
    statements = {s.period_start.year: s for s in programme.payment_statements.all()}
    # Arranged as paid directly (the signing workflow has its own tests); frozen_hash stands for frozen inputs.
    paid = {
        "status": StatementStatus.PAID,
        "approved_at": timezone.now(),
        "paid_on": D(2024, 5, 2),
        "frozen_hash": "0" * 64,
    }
    PaymentStatement.objects.filter(pk=statements[2020].pk).update(**paid, payment_reference="R-2020")  # 2 children
    PaymentStatement.objects.filter(pk=statements[2023].pk).update(**paid, payment_reference="R-2023")
    worked_example["statements"] = statements
    worked_example["fund"] = fund
    return worked_example


def test_the_repo_copy_of_the_schema_is_the_pinned_compiled_schema():
    assert SCHEMA_PATH == REPO_SCHEMA / "project.compiled.json"
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == PINNED_SHA256


def test_the_export_validates_against_the_compiled_indigo_schema(project):
    schema = json.loads((REPO_SCHEMA / "project.compiled.json").read_text(encoding="utf-8"))
    data = indigo_project(fund=project["fund"])
    Draft7Validator.check_schema(schema)
    Draft7Validator(schema).validate(data)


def test_a_broken_export_fails_validation(project):
    data = indigo_project(fund=project["fund"])
    data["jurisdiction"]["jurisdiction"]["value"] = "Finland"
    data["dates"]["start_date_of_service_provision"]["value"] = "1.1.2019"
    data["outcome_payments"][0]["money"]["amount"]["value"] = "7 500,00"
    errors = indigo_errors(data)
    assert len(errors) == 3
    assert any(error.startswith("/jurisdiction/jurisdiction/value") for error in errors)


def test_the_export_describes_the_project_in_finland(project):
    data = indigo_project(fund=project["fund"])
    programme = project["programme"]
    assert data["name"]["value"] == project["fund"].name
    assert data["jurisdiction"]["jurisdiction"]["value"] == "FI"
    codes = {loc["adminstrative_geography_code"]["value"] for loc in data["delivery_locations"]}
    assert codes == {programme.municipality.code}
    assert any("Vuosaari" in loc["location_name"]["value"] for loc in data["delivery_locations"])
    assert {p["organisation_role_category"]["value"] for p in data["service_provisions"]} == {
        "Nonprofit/NGO",
        "Government/Public Sector/Public Bank",
    }
    assert {m["id"] for m in data["outcome_metrics"]} == {
        f"{programme.code}-out_of_home_care_days",
        f"{programme.code}-open_care_months",
    }
    assert sorted(p["price_per_unit"]["amount"]["value"] for p in data["outcome_pricings"]) == [330.0, 360.0, 560.0]
    assert data["investments"][0]["investment_commitment"]["amount"]["exact"]["value"] == 5000000.0
    assert data["sources"][0]["id"] == "sibcase"


def test_outcome_payments_are_the_approved_and_paid_statements_of_periods_of_five_or_more(project):
    data = indigo_project(fund=project["fund"])
    payments = data["outcome_payments"]
    # 2020 (paid, but 2 children) is left out; 2024 is a draft
    assert [(p["period"]["start_date"]["value"], p["type"]["value"]) for p in payments] == [("2023-01-01", "Actual")]
    assert payments[0]["money"]["amount"]["value"] == float(project["statements"][2023].payable)


def test_results_publish_the_cohort_rounded_to_base_five(project):
    data = indigo_project(fund=project["fund"])
    engaged = [
        r["number_engaged_in_impact_bond"]["value"] for r in data["results"] if "number_engaged_in_impact_bond" in r
    ]
    assert engaged and all(n % 5 == 0 for n in engaged)
    assert data["service_and_beneficiaries"]["actual_number_service_users_or_beneficiaries_total"]["value"] == 10


def test_the_export_holds_no_person(project):
    body = json.dumps(indigo_project(fund=project["fund"]), ensure_ascii=False)
    for kid in [project["a"], project["b"], project["c"], *project["more"], *project["small"]]:
        assert kid.identity_code not in body
        assert kid.first_names not in body
        assert kid.family.reference not in body


def test_manage_py_export_indigo_writes_a_valid_file(project, tmp_path):
    path = tmp_path / "lapset-sib.json"
    call_command("export_indigo", str(path), "--fund", str(project["fund"].pk))
    assert indigo_errors(json.loads(path.read_text(encoding="utf-8"))) == []


def test_fund_manager_downloads_the_indigo_file(client, project):
    client.force_login(UserFactory(role=Role.FUND_MANAGER, municipality=None))
    response = client.get(reverse("fund:indigo"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert indigo_errors(json.loads(response.content)) == []


def test_a_social_worker_does_not_get_the_indigo_file(client, project):
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER))
    assert client.get(reverse("fund:indigo")).status_code == 403


def test_the_export_with_recorded_investors_validates(project):
    manager = UserFactory(role=Role.FUND_MANAGER, municipality=None)
    investor = investor_create(actor=manager, name="Sitra", category=InvestorCategory.FOUNDATION)
    for kind in (InvestorFlowKind.COMMITMENT, InvestorFlowKind.DRAWDOWN, InvestorFlowKind.DISTRIBUTION):
        investor_flow_record(
            actor=manager,
            fund=project["fund"],
            investor=investor,
            kind=kind,
            amount=Decimal("1000.00"),
            occurred_on=D(2022, 1, 1),
        )
    data = indigo_project(fund=project["fund"])
    assert indigo_errors(data) == []
    assert data["investments"][0]["investor_repayment"]["value"] == "Principal repaid (but no net return)"
