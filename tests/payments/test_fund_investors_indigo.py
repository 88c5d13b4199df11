"""The INDIGO export's investments are the recorded commitments, one per investor, and still validate."""

import datetime
from decimal import Decimal

import pytest
from jsonschema import Draft7Validator

from payments.fund_reports.indigo import indigo_project, indigo_schema
from programs.models import InvestorCategory, InvestorFlowKind
from programs.services import investor_create, investor_flow_record
from sibcase.models import Role

from ..factories import FundFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def fund():
    fund = FundFactory(committed_capital=Decimal("5000000.00"))
    ProgrammeFactory(fund=fund)
    manager = UserFactory(role=Role.FUND_MANAGER, municipality=None)
    sitra = investor_create(actor=manager, name="Sitra", category=InvestorCategory.FOUNDATION, business_id="0202006-5")
    insurer = investor_create(actor=manager, name="Eläkeyhtiö", category=InvestorCategory.COMMERCIAL)
    for investor, kind, amount in (
        (sitra, InvestorFlowKind.COMMITMENT, "2000000.00"),
        (sitra, InvestorFlowKind.COMMITMENT, "500000.00"),
        (sitra, InvestorFlowKind.DRAWDOWN, "1000000.00"),
        (sitra, InvestorFlowKind.DISTRIBUTION, "200000.00"),
        (insurer, InvestorFlowKind.COMMITMENT, "1000000.00"),
    ):
        investor_flow_record(
            actor=manager, fund=fund, investor=investor, kind=kind, amount=Decimal(amount), occurred_on=D(2021, 1, 1)
        )
    return fund


def test_investments_are_the_commitments_per_investor(fund):
    investments = indigo_project(fund=fund)["investments"]
    assert sorted(
        (i["organisation_role_category"]["value"], i["investment_commitment"]["amount"]["exact"]["value"])
        for i in investments
    ) == [("Commercial", 1000000.0), ("Foundation/Philanthropist", 2500000.0)]
    sitra = next(i for i in investments if i["organisation_id"]["value"] == "FI-PRO-0202006-5")
    assert sitra["investor_repayment"]["value"] == "Some repayment (but below value of principle)"


def test_the_export_with_investors_validates_against_the_schema(fund):
    errors = list(Draft7Validator(indigo_schema()).iter_errors(indigo_project(fund=fund)))
    # A fund with no metrics yet has empty lists elsewhere; the investments themselves must be valid.
    assert [list(e.absolute_path) for e in errors if "investments" in e.absolute_path] == []


def test_without_recorded_commitments_the_funds_capital_is_the_investment():
    fund = FundFactory(committed_capital=Decimal("5000000.00"))
    ProgrammeFactory(fund=fund)
    investments = indigo_project(fund=fund)["investments"]
    assert [i["investment_commitment"]["amount"]["exact"]["value"] for i in investments] == [5000000.0]
