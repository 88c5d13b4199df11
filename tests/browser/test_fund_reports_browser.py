"""Fund reports in the browser (issue 15): each chart and export, as a fund manager in Finnish and as a coordinator
in Swedish; the hidden figures stay hidden in every download."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from payments.services.statements import statement_calculate
from sibcase.models import Role

from ..factories import ChildFactory, EnrollmentFactory, FamilyFactory, UserFactory
from ..payments.conftest import D, worked_example  # noqa: F401 - the README's worked example
from .conftest import check_accessibility, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _grow(programme):
    for _ in range(5):
        family = FamilyFactory(municipality=programme.municipality)
        EnrollmentFactory(
            programme=programme, family=family, enrolled_on=D(2023, 3, 1), children=[ChildFactory(family=family)]
        )
    statement_calculate(programme=programme, kind="annual", period_start=D(2024, 1, 1), period_end=D(2024, 12, 31))


def _download(page, name):
    with page.expect_download() as download:
        page.get_by_role("link", name=name, exact=True).click()
    return download.value.path().read_bytes()


def test_fund_manager_reads_every_chart_and_export_in_finnish(page, live_server, worked_example):  # noqa: F811
    programme = worked_example["programme"]
    _grow(programme)
    UserFactory(username="rahasto", role=Role.FUND_MANAGER, municipality=None)
    login(page, live_server, "rahasto")
    expect(page.get_by_role("heading", name="Rahasto yhdellä silmäyksellä")).to_be_visible()
    expect(page.locator("svg[role=img] .bar-forecast").first).to_be_visible()
    check_accessibility(page, "20-fund-manager-home")

    page.get_by_role("link", name="Yleiskuva ja raportit").click()
    expect(page.locator("svg[role=img]")).to_have_count(1)
    page.set_viewport_size({"width": 1280, "height": 900})  # every column of the overview fits, none scrolled away
    assert (
        page.locator("#programmes").bounding_box()["width"]
        <= page.locator(".table-scroll").first.bounding_box()["width"]
    )
    page.set_viewport_size({"width": 1024, "height": 768})
    overview_csv = _download(page, "Lataa CSV").decode("utf-8-sig")
    assert overview_csv.splitlines()[0].startswith("Ohjelma;Kunta;Perheitä;Lapsia")
    sheet = load_workbook(io.BytesIO(_download(page, "Lataa XLSX"))).worksheets[0]
    assert sheet["A1"].value == "Ohjelma"
    indigo = json.loads(_download(page, "Lataa INDIGO-tiedosto (JSON)"))
    assert indigo["jurisdiction"]["jurisdiction"]["value"] == "FI"

    page.get_by_role("link", name=str(programme)).click()
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(4)
    for index in range(4):
        expect(charts.nth(index).locator("title").first).not_to_be_empty()  # the chart's accessible name
    expect(page.locator("svg .cap-line").first).to_be_attached()
    expect(page.locator("svg .legend").first).to_contain_text("ennuste")
    page.get_by_text("Kaavion tiedot taulukkona").first.click()
    expect(page.locator("figure table").first).to_contain_text("Kokonaiskatto")
    check_accessibility(page, "21-fund-programme-charts")
    lines = list(
        csv.reader(io.StringIO(_download(page, "Lataa laskelman rivit (CSV)").decode("utf-8-sig")), delimiter=";")
    )
    assert all(row[3] == "x" and row[5] == "x" for row in lines[1:])  # counts under five hide quantity and amount
    years = _download(page, "Lataa vuositaulukko (CSV)").decode("utf-8-sig")
    assert years.splitlines()[0].startswith("Vuosi;Laji;Tila")
    workbook = load_workbook(io.BytesIO(_download(page, "Lataa raportti (XLSX)")))
    assert [row[3] for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)] == ["x"] * (len(lines) - 1)
    assert _download(page, "Lataa PDF").startswith(b"%PDF")


def test_coordinator_reads_the_reports_and_downloads_them_in_swedish(page, live_server, worked_example):  # noqa: F811
    programme = worked_example["programme"]
    _grow(programme)
    UserFactory(username="koordinaattori", role=Role.COORDINATOR, programmes=[programme])
    login(page, live_server, "koordinaattori")
    page.get_by_label("Kieli").select_option("sv")
    page.get_by_role("button", name="Vaihda").click()
    page.goto(f"{live_server.url}/fund/programmes/{programme.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("svg[role=img]")).to_have_count(4)
    expect(page.locator("svg .legend").first).to_contain_text("prognos")
    check_accessibility(page, "22-fund-programme-sv")
    with page.expect_download() as download:
        page.locator(f"a[href^='/fund/programmes/{programme.pk}/years.csv']").click()
    header = download.value.path().read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("År;Typ;Status")
    with page.expect_download() as download:
        page.locator(f"a[href^='/fund/programmes/{programme.pk}/report.xlsx']").click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert workbook.worksheets[2]["A1"].value == "År"
