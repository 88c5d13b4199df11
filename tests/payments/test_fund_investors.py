"""The investors' side (issue 15, item 4): commitments, draw-downs, distributions, multiple and IRR."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.fund_reports.investors import investor_report
from payments.fund_reports.returns import xirr
from payments.models import StatementStatus
from payments.services.statements import statement_calculate
from programs.models import InvestorCategory, InvestorFlow, InvestorFlowKind
from programs.services import investor_create, investor_flow_record
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    FundFactory,
    PaymentStatementFactory,
    PaymentTermsFactory,
    ProgrammeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 6, 30)


@pytest.fixture
def manager():
    return UserFactory(role=Role.FUND_MANAGER, municipality=None)


@pytest.fixture
def fund():
    return FundFactory()


@pytest.fixture
def investor(manager):
    return investor_create(actor=manager, name="Sitra", category=InvestorCategory.FOUNDATION)


def _record(manager, fund, investor, kind, amount, day):
    return investor_flow_record(
        actor=manager, fund=fund, investor=investor, kind=kind, amount=Decimal(amount), occurred_on=day
    )


def test_a_flow_is_recorded_and_audited(manager, fund, investor):
    flow = _record(manager, fund, investor, InvestorFlowKind.COMMITMENT, "1000000.00", D(2020, 1, 1))
    assert AuditEvent.objects.filter(event_type="investor_flow.commitment", object_id=str(flow.pk)).exists()


def test_a_drawdown_beyond_the_commitment_is_refused(manager, fund, investor):
    _record(manager, fund, investor, InvestorFlowKind.COMMITMENT, "1000.00", D(2020, 1, 1))
    _record(manager, fund, investor, InvestorFlowKind.DRAWDOWN, "600.00", D(2020, 2, 1))
    with pytest.raises(DomainError) as exc:
        _record(manager, fund, investor, InvestorFlowKind.DRAWDOWN, "400.01", D(2020, 3, 1))
    assert exc.value.codes == ["drawdown_exceeds_commitment"]
    assert InvestorFlow.objects.filter(kind=InvestorFlowKind.DRAWDOWN).count() == 1


def test_a_flow_in_the_future_is_refused(manager, fund, investor):
    with pytest.raises(DomainError) as exc:
        _record(manager, fund, investor, InvestorFlowKind.COMMITMENT, "1.00", D(2999, 1, 1))
    assert exc.value.codes == ["date_in_future"]


def test_report_sums_the_flows_and_the_paid_statements(manager, fund, investor):
    _record(manager, fund, investor, InvestorFlowKind.COMMITMENT, "1000.00", D(2020, 1, 1))
    _record(manager, fund, investor, InvestorFlowKind.DRAWDOWN, "800.00", D(2020, 1, 1))
    _record(manager, fund, investor, InvestorFlowKind.DISTRIBUTION, "500.00", D(2023, 1, 1))
    PaymentStatementFactory(
        terms=PaymentTermsFactory(programme=ProgrammeFactory(fund=fund)),
        status=StatementStatus.PAID,
        payable=Decimal("700.00"),
        paid_on=D(2022, 12, 1),
        payment_reference="RF18 1234",
        frozen_hash="0" * 64,
        frozen_at=datetime.datetime(2022, 11, 1, tzinfo=datetime.UTC),
        approved_at=datetime.datetime(2022, 11, 2, tzinfo=datetime.UTC),
    )
    report = investor_report(today=TODAY)
    assert (report.investors, report.committed, report.drawn, report.undrawn) == (
        1,
        Decimal("1000.00"),
        Decimal("800.00"),
        Decimal("200.00"),
    )
    assert (report.received, report.distributed, report.nav) == (
        Decimal("700.00"),
        Decimal("500.00"),
        Decimal("200.00"),
    )
    assert report.distributed_multiple == Decimal("0.63")  # 500 / 800 = 0.625, half up
    assert report.total_multiple == Decimal("0.88")  # 700 / 800 = 0.875
    expected = xirr([(D(2020, 1, 1), Decimal("-800")), (D(2023, 1, 1), Decimal("500")), (TODAY, Decimal("200"))])
    assert report.irr_to_date == pytest.approx(expected)
    assert [(y.year, y.drawn, y.received, y.distributed) for y in report.years] == [
        (2020, Decimal("800.00"), Decimal("0.00"), Decimal("0.00")),
        (2022, Decimal("0.00"), Decimal("700.00"), Decimal("0.00")),
        (2023, Decimal("0.00"), Decimal("0.00"), Decimal("500.00")),
    ]


def test_report_without_flows_has_no_multiple_or_irr():
    report = investor_report(today=TODAY)
    assert (report.distributed_multiple, report.irr_to_date) == (None, None)
    assert [s.name for s in report.scenarios] == ["pessimistic", "base", "optimistic"]


def test_scenarios_are_ordered_pessimistic_below_optimistic(manager, worked_example):
    """The projection of the worked example's programme to 2032 makes the optimistic IRR the highest."""
    programme = worked_example["programme"]
    for _ in range(5):  # enough children that the programme's figures are shown (and so projected)
        family = FamilyFactory(municipality=programme.municipality)
        EnrollmentFactory(
            programme=programme, family=family, enrolled_on=D(2023, 3, 1), children=[ChildFactory(family=family)]
        )
    statement_calculate(programme=programme, kind="annual", period_start=D(2024, 1, 1), period_end=D(2024, 12, 31))
    investor = investor_create(actor=manager, name="Eläkeyhtiö", category=InvestorCategory.COMMERCIAL)
    _record(manager, programme.fund, investor, InvestorFlowKind.COMMITMENT, "1000000.00", D(2020, 1, 1))
    _record(manager, programme.fund, investor, InvestorFlowKind.DRAWDOWN, "1000000.00", D(2020, 1, 1))
    low, base, high = investor_report(today=TODAY).scenarios
    assert low.future_inflows < base.future_inflows < high.future_inflows
    assert low.irr < base.irr < high.irr


def test_investor_page_shows_aggregates_to_a_fund_manager(client, manager, fund, investor):
    _record(manager, fund, investor, InvestorFlowKind.COMMITMENT, "1000.00", D(2020, 1, 1))
    client.force_login(manager)
    response = client.get(reverse("fund:investors"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Sitoumukset yhteensä" in body
    assert "Sitra" not in body  # aggregates only


def test_fund_manager_records_a_commitment_through_the_form(client, manager, fund, investor):
    client.force_login(manager)
    response = client.post(
        reverse("fund:investor_record"),
        {
            "add_flow": "1",
            "flow-fund": fund.pk,
            "flow-investor": investor.pk,
            "flow-kind": "commitment",
            "flow-amount": "250 000,00",
            "flow-occurred_on": "1.2.2021",
        },
    )
    assert response.status_code == 302
    flow = InvestorFlow.objects.get()
    assert (flow.amount, flow.occurred_on, flow.recorded_by) == (Decimal("250000.00"), D(2021, 2, 1), manager)


def test_coordinator_may_read_but_not_record(client, investor):
    client.force_login(UserFactory(role=Role.COORDINATOR, municipality=None))
    assert client.get(reverse("fund:investors")).status_code == 200
    assert client.get(reverse("fund:investor_record")).status_code == 403
