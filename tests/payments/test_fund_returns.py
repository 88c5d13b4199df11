"""The IRR and money multiple functions, against figures computed by hand and by spreadsheet XIRR."""

import datetime
from decimal import Decimal

import pytest

from payments.fund_reports.returns import money_multiple, xirr, xnpv

D = datetime.date


def test_one_year_ten_percent():
    assert xirr([(D(2021, 1, 1), Decimal("-1000")), (D(2022, 1, 1), Decimal("1100"))]) == pytest.approx(0.10, abs=1e-9)


def test_two_years_doubling_is_41_percent():
    # 2 ** (365 / 730) - 1 over 730 days
    flows = [(D(2021, 1, 1), Decimal("-100")), (D(2023, 1, 1), Decimal("200"))]
    assert xirr(flows) == pytest.approx(2 ** (365 / 730) - 1, abs=1e-9)


def test_matches_the_spreadsheet_xirr_example():
    # The classic XIRR example (Excel documentation): 0.373362535
    flows = [
        (D(2008, 1, 1), Decimal("-10000")),
        (D(2008, 3, 1), Decimal("2750")),
        (D(2008, 10, 30), Decimal("4250")),
        (D(2009, 2, 15), Decimal("3250")),
        (D(2009, 4, 1), Decimal("2750")),
    ]
    assert xirr(flows) == pytest.approx(0.373362535, abs=1e-8)


def test_loss_gives_a_negative_rate():
    assert xirr([(D(2021, 1, 1), Decimal("-1000")), (D(2022, 1, 1), Decimal("500"))]) == pytest.approx(-0.5, abs=1e-9)


def test_npv_is_zero_at_the_irr():
    flows = [(D(2020, 6, 1), Decimal("-300")), (D(2020, 9, 1), Decimal("-200")), (D(2024, 12, 31), Decimal("700"))]
    assert xnpv(xirr(flows), flows) == pytest.approx(0, abs=1e-6)


def test_flows_without_a_distribution_have_no_irr():
    assert xirr([(D(2021, 1, 1), Decimal("-1000")), (D(2021, 6, 1), Decimal("-10"))]) is None


def test_no_flows_have_no_irr():
    assert xirr([]) is None


def test_very_high_return_is_found():
    flows = [(D(2021, 1, 1), Decimal("-1")), (D(2022, 1, 1), Decimal("50"))]
    assert xirr(flows) == pytest.approx(49.0, rel=1e-9)


def test_multiple_is_rounded_half_up_to_two_decimals():
    assert money_multiple(returned=Decimal("1125"), paid_in=Decimal("1000")) == Decimal("1.13")


def test_multiple_without_paid_in_capital_is_none():
    assert money_multiple(returned=Decimal("10"), paid_in=Decimal("0")) is None
