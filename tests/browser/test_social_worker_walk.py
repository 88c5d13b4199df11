"""A social worker carries a family from referral to exit in a real browser, with accessibility checks."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from families.models import Enrollment, EnrollmentStatus, Family
from outcomes.models import OutcomeObservation, ServiceEpisode
from sibcase.models import Role

from ..factories import (
    MetricUnitCostFactory,
    MunicipalityFactory,
    OutcomeMetricFactory,
    ProgrammeFactory,
    ServiceFactory,
    UserFactory,
    identity_code,
)
from .conftest import check_accessibility, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting():
    municipality = MunicipalityFactory(code="091", name_fi="Helsinki", name_sv="Helsingfors")
    service = ServiceFactory(name_fi="Perhekumppani")
    programme = ProgrammeFactory(municipality=municipality, name_fi="Perheen mukana", services=[service])
    metric = OutcomeMetricFactory(programme=programme, name_fi="Sijaishuollon vuorokaudet")
    MetricUnitCostFactory(metric=metric)
    worker = UserFactory(username="sosiaalityo", role=Role.SOCIAL_WORKER, municipality=municipality)
    return {"programme": programme, "worker": worker, "municipality": municipality}


def test_referral_to_exit(page, live_server, setting):
    login(page, live_server, "sosiaalityo")
    check_accessibility(page, "01-caseload")

    page.get_by_role("link", name="Uusi ohjaus").first.click()
    check_accessibility(page, "02-referral-form")
    page.get_by_label("Ohjelma").select_option(label="Perheen mukana")
    page.get_by_label("Ohjaava taho").select_option("neuvola")
    page.get_by_label("Ohjauspäivä").fill("2024-01-10")
    page.get_by_label("Ohjauksen syy").fill("Lapsen keskittymisen haasteet arjessa")
    page.get_by_label("Postinumero").fill("00980")
    page.get_by_label("Kaupunginosa").fill("Vuosaari")
    page.locator("#id_child-0-first_names").fill("Aino")
    page.locator("#id_child-0-last_name").fill("Testinen")
    page.locator("#id_child-0-identity_code").fill(identity_code(11))
    page.locator("#id_guardian-0-first_names").fill("Maija")
    page.locator("#id_guardian-0-last_name").fill("Testinen")
    page.locator("#id_guardian-0-identity_code").fill(identity_code(12, birth=datetime.date(1988, 3, 3)))
    page.locator("#id_guardian-0-employment_status").select_option("unemployed")
    page.get_by_role("button", name="Tallenna perhe ja ohjaus").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Perhe")
    check_accessibility(page, "03-family-page")

    page.get_by_role("link", name="Kirjaa suostumus").click()
    page.get_by_label("Huoltaja").select_option(index=1)
    page.get_by_label("Ohjelma").select_option(label="Perheen mukana")
    page.get_by_label("Suostumuksen päivä").fill("2024-01-15")
    page.get_by_role("button", name="Tallenna suostumus").click()

    page.get_by_role("link", name="Ota mukaan ohjelmaan").click()
    check_accessibility(page, "04-enrollment-form")
    page.get_by_label("Ohjelma").select_option(label="Perheen mukana")
    page.get_by_label("Mukaantulopäivä").fill("2024-02-01")
    page.get_by_role("button", name="Tallenna").click()
    expect(page.get_by_role("status")).to_contain_text("mukaan ohjelmaan")

    page.get_by_role("link", name="Palvelujakso").click()
    page.get_by_label("Ohjelmajakso").select_option(index=1)
    page.locator("#id_service").select_option(index=1)
    page.get_by_label("Alkaa").fill("2024-02-05")
    page.get_by_role("button", name="Tallenna").click()

    page.get_by_role("link", name="Tulostieto").click()
    check_accessibility(page, "05-observation-form")
    page.get_by_label("Mittari").select_option(index=1)
    page.locator("#id_child").select_option(index=1)
    page.get_by_label("Lähde").select_option("social_worker")
    page.get_by_label("Jakso alkaa").fill("2024-03-01")
    page.get_by_label("Jakso päättyy").fill("31.3.2024")  # two placement days fit a month, not a single day
    page.get_by_label("Arvo").fill("2")
    page.get_by_role("button", name="Tallenna").click()

    page.get_by_role("link", name="Päätä osallistuminen").click()
    page.get_by_label("Päättymispäivä").fill("2024-06-30")
    page.get_by_label("Päättymisen syy").select_option("completed")
    page.get_by_role("button", name="Päätä osallistuminen").click()
    expect(page.locator("#timeline-heading")).to_be_visible()
    check_accessibility(page, "06-family-timeline")

    family = Family.objects.get()
    assert Enrollment.objects.get(family=family).status == EnrollmentStatus.EXITED
    assert ServiceEpisode.objects.filter(family=family).count() == 1
    assert OutcomeObservation.objects.filter(child__family=family).count() == 1

    page.goto(f"{live_server.url}/families/")
    check_accessibility(page, "07-family-list")


def test_refused_enrollment_shows_its_reason(page, live_server, setting):
    from ..factories import ChildFactory, ConsentFactory, FamilyFactory, GuardianFactory

    closed = ProgrammeFactory(
        municipality=setting["municipality"],
        name_fi="Lapset SIB Vantaa",
        enrollment_cutoff=datetime.date(2021, 9, 1),
        cutoff_decision_body="Vantaan sosiaali- ja terveyslautakunta",
        cutoff_decision_date=datetime.date(2021, 8, 17),
    )
    family = FamilyFactory(municipality=setting["municipality"])
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=closed, given_on=datetime.date(2021, 8, 1))
    login(page, live_server, "sosiaalityo")
    page.goto(f"{live_server.url}/families/{family.pk}/enroll/")
    page.get_by_label("Ohjelma").select_option(label="Lapset SIB Vantaa (ei ota uusia perheitä)")
    page.get_by_label("Mukaantulopäivä").fill("2021-09-01")
    page.get_by_role("button", name="Tallenna").click()
    expect(page.get_by_role("alert")).to_contain_text("Vantaan sosiaali- ja terveyslautakunta")
    expect(page.get_by_label("Mukaantulopäivä")).to_have_value("2021-09-01")
    check_accessibility(page, "08-enrollment-refused")
    assert not Enrollment.objects.exists()


def test_language_switches(page, live_server, setting):
    login(page, live_server, "sosiaalityo")
    page.get_by_label("Kieli").select_option("sv")
    page.get_by_role("button", name="Vaihda").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_label(re.compile("Språk"))).to_have_value("sv")
    check_accessibility(page, "09-home-swedish")
    page.get_by_label(re.compile("Språk")).select_option("en")
    page.get_by_role("button", name=re.compile("Byt")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Families")).to_be_visible()
