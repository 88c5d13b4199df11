"""Exports for Finnish offices (issue 15, item 3): CSV in the user's language with decimal comma, XLSX with number
formats, PDF in Finnish number format, and suppression identical in the page, the CSV and the XLSX."""

import csv
import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from payments.fund_reports.exports import MONEY, format_cell
from payments.services.statements import statement_calculate
from sibcase.models import Role

from ..factories import ChildFactory, EnrollmentFactory, FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
MARKS = {"<5", "x"}


@pytest.fixture
def fund_manager(db):
    return UserFactory(role=Role.FUND_MANAGER, municipality=None)


@pytest.fixture
def report(worked_example):
    """10 children; the 2020 statement covers 2 of them (hidden), 2024's lines count 2 and 1 observations."""
    programme = worked_example["programme"]
    for n, enrolled_on in ((5, D(2023, 3, 1)), (2, D(2020, 5, 1))):
        for _ in range(n):
            family = FamilyFactory(municipality=programme.municipality)
            EnrollmentFactory(
                programme=programme, family=family, enrolled_on=enrolled_on, children=[ChildFactory(family=family)]
            )
    for year in (2020, 2024):
        statement_calculate(programme=programme, kind="annual", period_start=D(year, 1, 1), period_end=D(year, 12, 31))
    return worked_example


def _csv(response):
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def _xlsx(response, sheet_index):
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.worksheets[sheet_index].iter_rows(values_only=True)]


class _Cells(HTMLParser):
    """The body cells of one table on the page, by id."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def _page_rows(body, table_id):
    parser = _Cells(table_id)
    parser.feed(body)
    return [row for row in parser.rows[1:] if row]  # without the header row


def _number(text) -> Decimal | str:
    text = str(text).replace("\xa0", "").replace(" ", "").replace(",", ".")
    return text if text in MARKS or not re.match(r"^-?\d+(\.\d+)?$", text) else Decimal(text)


def test_years_csv_is_in_finnish_with_decimal_comma_and_two_decimals(client, fund_manager, report):
    client.force_login(fund_manager)
    header, *rows = _csv(client.get(reverse("fund:years_csv", args=[report["programme"].pk])))
    assert header[:3] == ["Vuosi", "Laji", "Tila"] and "Säästöt (EUR)" in header
    row_2024 = next(row for row in rows if row[0] == "2024")
    assert row_2024[1] == "Laskelma"
    for cell in row_2024[4:9]:
        assert re.match(r"^-?\d+,\d{2}$", cell), cell


def test_years_csv_is_in_swedish_for_a_swedish_user(client, fund_manager, report):
    client.force_login(fund_manager)
    url = reverse("fund:years_csv", args=[report["programme"].pk])
    header, *rows = _csv(client.get(url, HTTP_ACCEPT_LANGUAGE="sv"))
    assert header[0] == "År"
    assert {row[1] for row in rows} == {"Kalkyl", "Prognos"}


def test_statement_csv_names_metrics_instead_of_codes(client, fund_manager, report):
    client.force_login(fund_manager)
    url = reverse("fund:statement_csv", args=[report["programme"].pk]) + "?year=2024"
    header, *rows = _csv(client.get(url))
    assert {row[0] for row in rows} == {report["out_of_home"].name_fi, report["open_care"].name_fi}
    assert "out_of_home_care_days" not in {row[0] for row in rows}


def test_xlsx_keeps_euros_as_numbers_with_a_number_format(client, fund_manager, report):
    client.force_login(fund_manager)
    response = client.get(reverse("fund:report_xlsx", args=[report["programme"].pk]) + "?year=2024")
    workbook = load_workbook(io.BytesIO(response.content))
    years = workbook.worksheets[2]
    assert years["A1"].value == "Vuosi"
    savings = next(row for row in years.iter_rows(min_row=2) if row[0].value == 2024)[6]
    assert isinstance(savings.value, (int, float)) and savings.number_format == "#,##0.00"


def test_suppression_is_identical_in_the_page_the_csv_and_the_xlsx(client, fund_manager, report):
    programme = report["programme"]
    client.force_login(fund_manager)
    page = client.get(reverse("fund:programme", args=[programme.pk]) + "?year=2024").content.decode()
    xlsx = client.get(reverse("fund:report_xlsx", args=[programme.pk]) + "?year=2024")

    lines_csv = _csv(client.get(reverse("fund:statement_csv", args=[programme.pk]) + "?year=2024"))[1:]
    lines_xlsx = _xlsx(xlsx, 1)[1:]
    lines_page = _page_rows(page, "statement-lines")
    assert len(lines_csv) == len(lines_xlsx) == len(lines_page) == 3  # 330.00 and 360.00 from July
    for csv_row, xlsx_row, page_row in zip(lines_csv, lines_xlsx, lines_page, strict=True):
        # page columns: metric, count, quantity, unit cost, amount
        shown = [csv_row[0], *csv_row[2:]]
        assert [_number(v) for v in shown] == [_number(v) for v in page_row]
        assert [_number(v) for v in [xlsx_row[0], *xlsx_row[2:]]] == [_number(v) for v in page_row]

    years_csv = _csv(client.get(reverse("fund:years_csv", args=[programme.pk])))[1:]
    years_xlsx = _xlsx(xlsx, 2)[1:]
    years_page = _page_rows(page, "years")
    assert len(years_csv) == len(years_xlsx) == len(years_page)
    hidden_years = {row[0] for row in years_csv if "x" in row}
    assert hidden_years == {"2020"}
    for csv_row, xlsx_row, page_row in zip(years_csv, years_xlsx, years_page, strict=True):
        # page columns: year, status, child-years, counterfactual, actual, savings, payable, cumulative, range
        assert [_number(v) for v in csv_row[3:9]] == [_number(v) for v in page_row[2:8]] or csv_row[1] == "Ennuste"
        assert [_number(v) for v in csv_row[3:9]] == [_number(v if v is not None else "") for v in xlsx_row[3:9]]


def test_pdf_figures_use_the_finnish_number_format():
    with translation.override("fi"):
        assert format_cell(Decimal("135.1836"), MONEY, grouping=True) == "135,18"
        assert format_cell(Decimal("1234567.5"), MONEY, grouping=True) == "1\xa0234\xa0567,50"
        assert format_cell("x", MONEY, grouping=True) == "x"


def test_pdf_has_the_charts_the_scenario_table_and_finnish_numbers(client, fund_manager, report, monkeypatch):
    from reportlab import rl_config

    monkeypatch.setattr(rl_config, "pageCompression", 0)  # readable text streams for the test
    client.force_login(fund_manager)
    response = client.get(reverse("fund:report_pdf", args=[report["programme"].pk]) + "?year=2024")
    raw = response.content.decode("latin-1")
    assert raw.startswith("%PDF")
    body = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1), 8)), raw)  # PDF string escapes: \344 is ä
    assert (
        "Ennusteen oletukset ja skenaariot" in body and "Kokonaiskatto 1 000 000,00" in body
    )  # reportlab sets the no-break space as a space
    assert "(50,00)" in body and "50.00" not in body  # the share of the savings, not "50.00 %"
    assert "(Kohortti \\(lasta\\))" in body and "(10)" in body
    statement = report["programme"].payment_statements.get(period_start=D(2024, 1, 1))
    payable = format_cell(statement.payable, MONEY, grouping=True).replace("\xa0", " ")
    assert f"({payable})" in body
    assert str(statement.payable) not in body  # never the decimal point
    line = statement.lines.get(metric=report["open_care"])  # one observation: its quantity and amount are hidden
    assert f"({format_cell(line.amount, MONEY, grouping=True)})".replace("\xa0", " ") not in body
