"""A coordinator calculates 2024 in the browser; a fund manager reads the reports, sees charts, downloads exports."""

import pytest
from playwright.sync_api import expect

from payments.models import PaymentStatement
from sibcase.models import Role

from ..factories import ChildFactory, EnrollmentFactory, FamilyFactory, UserFactory
from ..payments.conftest import D, worked_example  # noqa: F401 - the README's worked example
from .conftest import check_accessibility, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_calculates_2024_and_reads_it_line_by_line(page, live_server, worked_example):  # noqa: F811
    UserFactory(username="koordinaattori", role=Role.COORDINATOR, programmes=[worked_example["programme"]])
    login(page, live_server, "koordinaattori")
    page.get_by_role("link", name="Tulospalkkiot").click()
    check_accessibility(page, "10-payments")
    page.get_by_label("Ohjelma").select_option(label=str(worked_example["programme"]))
    page.get_by_label("Vuosi").fill("2024")
    page.get_by_role("button", name="Käynnistä laskenta").click()
    expect(page.locator("dd > [role=status]")).to_contain_text("Valmis")
    page.get_by_role("link", name="Avaa laskelma").click()
    expect(page.locator("table.calculation")).to_contain_text("5\u00a0023,88")
    check_accessibility(page, "11-statement")
    assert PaymentStatement.objects.get().payable == worked_example["programme"].payment_statements.get().payable


def test_fund_manager_sees_charts_and_downloads_csv_and_pdf(page, live_server, worked_example, tmp_path):  # noqa: F811
    from payments.services.statements import statement_calculate

    programme = worked_example["programme"]
    for _ in range(5):
        family = FamilyFactory(municipality=programme.municipality)
        EnrollmentFactory(
            programme=programme, family=family, enrolled_on=D(2023, 3, 1), children=[ChildFactory(family=family)]
        )
    statement_calculate(programme=programme, kind="annual", period_start=D(2024, 1, 1), period_end=D(2024, 12, 31))
    UserFactory(username="rahasto", role=Role.FUND_MANAGER, municipality=None)
    login(page, live_server, "rahasto")
    page.get_by_role("link", name="Rahasto").click()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    check_accessibility(page, "12-fund-overview")
    with page.expect_download() as download:
        page.get_by_role("link", name="Lataa CSV").click()
    csv_text = download.value.path().read_text(encoding="utf-8-sig")
    assert str(programme.name_fi) in csv_text
    assert worked_example["a"].identity_code not in csv_text
    page.get_by_role("link", name=str(programme)).click()
    expect(page.locator("svg[role=img]")).to_have_count(4)
    check_accessibility(page, "13-fund-programme")
    with page.expect_download() as download:
        page.get_by_role("link", name="Lataa PDF").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    page.goto(f"{live_server.url}/families/{worked_example['a'].family_id}/")
    assert "Testinen" not in page.content()
