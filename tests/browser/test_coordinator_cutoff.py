"""A coordinator closes a programme to new families; the social worker's next enrollment is refused, with why."""

import datetime

import pytest
from playwright.sync_api import expect

from families.models import Enrollment
from programs.models import ProgrammeWindowChange
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    GuardianFactory,
    MunicipalityFactory,
    ProgrammeFactory,
    UserFactory,
)
from .conftest import check_accessibility, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_sets_a_cutoff_and_the_next_enrollment_is_refused(page, live_server):
    vantaa = MunicipalityFactory(code="092", name_fi="Vantaa", name_sv="Vanda")
    programme = ProgrammeFactory(municipality=vantaa, name_fi="Lapset SIB Vantaa")
    UserFactory(username="koordinaattori", role=Role.COORDINATOR, municipality=None, programmes=[programme])
    UserFactory(username="sosiaalityo", role=Role.SOCIAL_WORKER, municipality=vantaa)
    family = FamilyFactory(municipality=vantaa)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=datetime.date(2024, 1, 1))
    today = datetime.date.today().isoformat()

    login(page, live_server, "koordinaattori")
    page.goto(f"{live_server.url}/programmes/{programme.pk}/window/")
    page.get_by_label("Katkaisupäivä").fill(today)
    page.get_by_label("Päättänyt toimielin").fill("Vantaan sosiaali- ja terveyslautakunta")
    page.get_by_label("Päätöksen päivä").fill(today)
    page.get_by_label("Muutoksen perustelu").fill("Lautakunnan päätös")
    page.get_by_role("button", name="Esikatsele vaikutus").click()
    expect(page.get_by_role("status").first).to_contain_text("käsittelyssä")
    page.get_by_role("button", name="Tallenna muutos").click()
    expect(page.locator("main")).to_contain_text("Suljettu uusilta perheiltä")
    check_accessibility(page, "14-programme-closed")
    assert ProgrammeWindowChange.objects.filter(programme=programme).count() == 1
    page.get_by_role("button", name="Kirjaudu ulos").click()

    login(page, live_server, "sosiaalityo")
    page.goto(f"{live_server.url}/families/{family.pk}/enroll/")
    page.get_by_label("Ohjelma").select_option(label="Lapset SIB Vantaa (ei ota uusia perheitä)")
    page.get_by_label("Mukaantulopäivä").fill(today)
    page.get_by_role("button", name="Tallenna").click()
    expect(page.get_by_role("alert")).to_contain_text("Vantaan sosiaali- ja terveyslautakunta")
    check_accessibility(page, "15-enrollment-refused-after-cutoff")
    assert not Enrollment.objects.exists()
