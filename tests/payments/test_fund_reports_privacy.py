"""Fund reports, disclosure control (issue 13, defects 1 and 2): what a small count hides, and the differencing
attack run against what the pages publish."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from payments.fund_reports.selectors import fund_overview, programme_report
from payments.services.statements import statement_calculate
from sibcase.models import Role

from ..factories import ChildFactory, EnrollmentFactory, FamilyFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR_2024 = {"kind": "annual", "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}
HIDDEN_MARKS = {"<5", "x"}


@pytest.fixture
def fund_manager(db):
    return UserFactory(role=Role.FUND_MANAGER, municipality=None)


def _add_children(programme, n, enrolled_on):
    for _ in range(n):
        family = FamilyFactory(municipality=programme.municipality)
        EnrollmentFactory(
            programme=programme, family=family, enrolled_on=enrolled_on, children=[ChildFactory(family=family)]
        )


@pytest.fixture
def larger_example(worked_example):
    """The worked example plus five children enrolled in 2023: the 2024 lines count 2 and 1 observations."""
    _add_children(worked_example["programme"], 5, D(2023, 3, 1))
    statement_calculate(programme=worked_example["programme"], **YEAR_2024)
    return worked_example


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_statement_csv_hides_quantity_and_amount_of_a_line_with_a_suppressed_count(
    client, fund_manager, larger_example
):
    client.force_login(fund_manager)
    url = reverse("fund:statement_csv", args=[larger_example["programme"].pk]) + "?year=2024"
    header, *rows = _csv(client.get(url))
    assert rows
    for row in rows:
        count, quantity, amount = row[2], row[3], row[5]
        assert count in HIDDEN_MARKS
        assert quantity in HIDDEN_MARKS and amount in HIDDEN_MARKS, row


def test_statement_page_does_not_show_the_amount_of_a_suppressed_line(client, fund_manager, larger_example):
    statement = larger_example["programme"].payment_statements.get()
    line = statement.lines.get(metric=larger_example["open_care"])  # one observation: 2 months x 560.00
    client.force_login(fund_manager)
    body = client.get(reverse("fund:programme", args=[larger_example["programme"].pk]) + "?year=2024").content
    report = programme_report(programme=larger_example["programme"], year=2024)
    row = next(r for r in report.lines if r.name == larger_example["open_care"].name)
    assert (row.quantity, row.amount) == ("x", "x")
    assert line.amount == 1120
    for shown in ("1 120,00", "1\xa0120,00", "1120,00", "1120.00"):
        assert f">{shown}<" not in body.decode()


def test_a_statement_of_a_period_with_fewer_than_five_children_is_hidden(client, fund_manager, larger_example):
    programme = larger_example["programme"]
    _add_children(programme, 2, D(2020, 5, 1))  # the cohort is 10, but only these two were in the 2020 cohort
    statement_calculate(programme=programme, kind="annual", period_start=D(2020, 1, 1), period_end=D(2020, 12, 31))
    assert programme.payment_statements.get(period_start=D(2020, 1, 1)).child_count == 2
    report = programme_report(programme=programme)
    year_2020 = next(row for row in report.years if row.year == 2020)
    assert {year_2020.child_years, year_2020.savings, year_2020.payable, year_2020.actual} == {"x"}
    assert programme_report(programme=programme, year=2020).statement_hidden
    client.force_login(fund_manager)
    header, *rows = _csv(client.get(reverse("fund:years_csv", args=[programme.pk])))
    row_2020 = next(row for row in rows if row[0] == "2020")
    assert set(row_2020[3:9]) == {"x"}


def _candidates(shown, exact: bool) -> set[int]:
    """What an attacker knows about one published count, given the rule the publication follows."""
    if shown == 0:
        return {0}
    if shown == "<5":
        return {1, 2, 3, 4}
    if shown == "x":
        return set(range(5, 200))
    return {shown} if exact else {v for v in range(shown - 2, shown + 3) if v >= 5}


def _recoverable(cells: list, total) -> bool:
    """The differencing attack: every vector of counts consistent with the cells and the total; is a hidden cell
    pinned to one value? A count that is not a multiple of five tells the attacker that counts are exact."""
    numbers = [v for v in [*cells, total] if isinstance(v, int)]
    exact = any(v % 5 for v in numbers)
    smallest_shown = min((v for v in cells if isinstance(v, int) and v), default=200)
    options = [_candidates(v, exact) for v in cells]
    options = [
        {v for v in o if v <= max(_candidates(smallest_shown, exact))} if cell == "x" else o
        for o, cell in zip(options, cells, strict=True)
    ]
    totals = _candidates(total, exact)
    for index, cell in enumerate(cells):
        if cell != "<5":
            continue
        sums = {0}
        for other, values in enumerate(options):
            if other != index:
                sums = {s + v for s in sums for v in values if s + v <= max(totals)}
        feasible = {h for h in options[index] if any(h + s in totals for s in sums)}
        if len(feasible) == 1:
            return True
    return False


def test_the_differencing_attack_on_the_overview_total_and_the_years_table_recovers_nothing():
    programme = ProgrammeFactory(start_date=D(2019, 1, 1))
    for year, n in zip(range(2019, 2025), [8, 5, 6, 12, 4, 5], strict=True):
        _add_children(programme, n, D(year, 4, 1))
    families = next(row for row in fund_overview() if row.programme == programme).families
    years = [n for _, n in programme_report(programme=programme).enrollments_by_year]
    assert "<5" in years
    assert not _recoverable(years, families)


def test_the_attack_itself_recovers_a_cell_from_exact_counts():
    assert _recoverable([8, "x", 6, 12, "<5", 5], 40)  # the example: x is 5, so the hidden one is 4
