"""A social worker in a real browser: a refused enrollment shows why, the language menu switches the language.

The walk from referral to exit, in every language and at both widths, is in test_role_walks.py."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from families.models import Enrollment
from sibcase.models import Role

from ..factories import MunicipalityFactory, ProgrammeFactory, UserFactory
from .conftest import check_accessibility, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting():
    municipality = MunicipalityFactory(code="091", name_fi="Helsinki", name_sv="Helsingfors")
    worker = UserFactory(username="sosiaalityo", role=Role.SOCIAL_WORKER, municipality=municipality)
    return {"worker": worker, "municipality": municipality}


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
