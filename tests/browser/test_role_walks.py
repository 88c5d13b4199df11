"""Each role does its real jobs in a real browser, in Finnish, Swedish and English, at 1366 px and at 390 px.

One test per (role, language): the user signs in, switches the language from the header's language menu as a
person would, then clicks through the role's work, filling and sending the forms and checking what the page says
came of it. Every page reached is checked at both widths (the viewport is switched, the walk is not repeated):
axe-core (WCAG 2.1 A/AA) with no violation of any impact, no horizontal scrolling of the page, no internal code
in visible text, and, in Swedish and English, no Finnish text of the catalogue left untranslated.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from functools import cache

import pytest
from django.utils import translation
from playwright.sync_api import expect

from families.models import CaseNote, ConsentScope, Enrollment, EnrollmentStatus, ExitReason, Family
from outcomes.models import OutcomeObservation, ServiceEpisode, ServiceNeedsAssessment, ServiceVisit
from payments.models import ComparisonGroupCost, PaymentStatement, StatementStatus
from payments.services.statements import statement_calculate, statement_transition
from programs.models import ProgrammeWindowChange
from sibcase.models import Role

from ..core.test_no_internal_codes import VisibleText, internal_codes
from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    MetricUnitCostFactory,
    MunicipalityFactory,
    OutcomeMetricFactory,
    OutcomeObservationFactory,
    PaymentTermsFactory,
    ProgrammeFactory,
    ServiceEpisodeFactory,
    ServiceFactory,
    ServiceProviderFactory,
    UserFactory,
    identity_code,
)
from .conftest import AXE, ROOT, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["fi", "sv", "en"]
WIDTHS = [(1366, 900), (390, 844)]
WCAG = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']"
D = datetime.date


@cache
def _finnish_sources() -> frozenset[str]:
    """Finnish UI texts whose translations differ: seen on a Swedish or English page, they were not translated."""
    texts = set()
    for line in (ROOT / "locale" / "translations.tsv").read_text(encoding="utf-8").splitlines():
        fi, sv, en = ([*line.split("\t"), "", ""])[:3]
        if line.startswith("#") or "%" in fi or "{" in fi or " " not in fi or len(fi) < 12:
            continue
        if fi not in sv and fi not in en:
            texts.add(fi)
    return frozenset(texts)


class Walk:
    """A signed-in user's tab, in one language, that checks each page it reaches at both widths."""

    def __init__(self, page, live_server, language: str):
        self.page, self.url, self.language = page, live_server.url, language
        self.problems: list[str] = []

    def t(self, finnish) -> str:
        """The text as the app shows it in the walk's language: a Finnish source text or a lazy label."""
        with translation.override(self.language):
            return translation.gettext(str(finnish))

    def switch_language(self) -> None:
        self.page.locator("#language-select").select_option(self.language)
        self.page.get_by_role("button", name="Vaihda", exact=True).click()
        expect(self.page.locator("html")).to_have_attribute("lang", self.language)
        expect(self.page.locator("#language-select")).to_have_value(self.language)

    def click(self, role: str, finnish: str) -> None:
        self.page.get_by_role(role, name=self.t(finnish), exact=True).first.click()

    def check(self, name: str) -> None:
        """Every width: axe, no sideways scrolling. Once: no internal code, no untranslated Finnish."""
        page, where = self.page, f"{name} ({page_path(self.page)})"
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                wide = page.evaluate(
                    """(limit) => [...document.querySelectorAll('body *')]
                         .filter(e => !(e.parentElement && e.parentElement.closest('.table-scroll')))
                         .filter(e => e.getBoundingClientRect().right > limit + 1
                                      || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'))
                         .slice(-4).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))""",
                    width,
                )
                self.problems.append(f"{where} at {width} px: page is {scroll_width} px wide: {wide}")
            if not page.evaluate("typeof axe !== 'undefined'"):
                page.add_script_tag(path=str(AXE))
            result = page.evaluate(f"async () => await axe.run(document, {{runOnly: {{type: 'tag', values: {WCAG}}}}})")
            self.problems += [
                f"{where} at {width} px: axe {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]
            ]
        page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
        html = page.content()
        if codes := internal_codes(html):
            self.problems.append(f"{where}: internal codes {sorted(codes)}")
        if self.language != "fi":
            parser = VisibleText()
            parser.feed(html)
            text = parser.text
            finnish = sorted(source for source in _finnish_sources() if source in text)
            if self.language == "en":
                finnish += sorted(set(re.findall(r"\w*[äöÄÖ]\w*", text)))
            if finnish:
                self.problems.append(f"{where}: not translated: {finnish[:6]}")

    def done(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def page_path(page) -> str:
    return page.url.split("//", 1)[-1].split("/", 1)[-1]


@pytest.fixture
def walk(browser, live_server):
    """One browser context per test, that is per (role, language)."""
    contexts = []

    def start(username: str, language: str) -> Walk:
        context = browser.new_context(
            viewport={"width": WIDTHS[0][0], "height": WIDTHS[0][1]}, locale="fi-FI", bypass_csp=True
        )
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, username)
        walker = Walk(page, live_server, language)
        walker.switch_language()
        return walker

    yield start
    for context in contexts:
        context.close()


@pytest.fixture
def world():
    """Helsinki with two programmes: one with a place for one family (a queue when full), one with payments."""
    helsinki = MunicipalityFactory(code="091", name_fi="Helsinki", name_sv="Helsingfors")
    provider = ServiceProviderFactory(name="Perhekeskus Oy")
    service = ServiceFactory(
        provider=provider, name_fi="Perhekumppani", name_sv="Familjepartner", name_en="Family partner"
    )
    small = ProgrammeFactory(
        municipality=helsinki,
        name_fi="Perheen mukana",
        name_sv="Med familjen",
        name_en="Along with the family",
        services=[service],
        capacity=1,
        waitlist_when_full=True,
    )
    metric = OutcomeMetricFactory(
        programme=small, name_fi="Sijaishuollon vuorokaudet", name_sv="Dygn i vård", name_en="Days in care"
    )
    MetricUnitCostFactory(metric=metric)
    # The one place of the small programme is taken until the walk needs it.
    occupant = EnrollmentFactory(programme=small, family=FamilyFactory(municipality=helsinki))

    paid = ProgrammeFactory(
        municipality=helsinki,
        name_fi="Lapset SIB Helsinki",
        name_sv="Lapset SIB Helsingfors",
        name_en="Lapset SIB Helsinki",
        services=[service],
    )
    PaymentTermsFactory(programme=paid)
    days = OutcomeMetricFactory(programme=paid, name_fi="Huostassa", name_sv="Omhändertagen", name_en="In care")
    MetricUnitCostFactory(metric=days, unit_cost=Decimal("330.00"))
    families = []
    for surname in ("Virtanen", "Korhonen"):
        family = FamilyFactory(municipality=helsinki)
        child = ChildFactory(family=family, last_name=surname)
        enrollment = EnrollmentFactory(programme=paid, family=family, enrolled_on=D(2023, 6, 1), children=[child])
        ConsentFactory(
            guardian=GuardianFactory(family=family, last_name=surname),
            programme=paid,
            scope=ConsentScope.PROVIDER_SHARING,
        )
        ServiceEpisodeFactory(enrollment=enrollment, service=service, start_date=D(2023, 6, 5))
        OutcomeObservationFactory(metric=days, child=child, period_start=D(2024, 3, 1), value=Decimal("4"))
        families.append(family)

    for _ in range(3):  # five children in the cohort: the fund sees the figures, not "fewer than five"
        family = FamilyFactory(municipality=helsinki)
        EnrollmentFactory(
            programme=paid, family=family, enrolled_on=D(2023, 6, 1), children=[ChildFactory(family=family)]
        )

    names = {"first_name": "Testi", "last_name": "Tester"}
    validator = UserFactory(username="arvioija2", role=Role.EVALUATOR, municipality=None, **names)
    UserFactory(username="sosiaalityo", role=Role.SOCIAL_WORKER, municipality=helsinki, **names)
    UserFactory(username="koordinaattori", role=Role.COORDINATOR, municipality=None, programmes=[small, paid], **names)
    UserFactory(username="perhekumppani", role=Role.PROVIDER_WORKER, provider=provider, municipality=None, **names)
    UserFactory(username="arvioija", role=Role.EVALUATOR, municipality=None, **names)
    UserFactory(username="rahasto", role=Role.FUND_MANAGER, municipality=None, **names)

    # 2024 waits for the evaluator's sample; 2023 (nothing to sample) is validated and waits for approval.
    draft = statement_calculate(programme=paid, kind="annual", period_start=D(2024, 1, 1), period_end=D(2024, 12, 31))
    waiting = statement_calculate(programme=paid, kind="annual", period_start=D(2023, 1, 1), period_end=D(2023, 12, 31))
    statement_transition(actor=validator, statement=waiting, to_status=StatementStatus.VALIDATED)
    return {
        "small": small,
        "paid": paid,
        "occupant": occupant,
        "families": families,
        "draft": draft,
        "waiting": waiting,
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_social_worker_carries_a_family_from_referral_to_exit(walk, world, language):
    w = walk("sosiaalityo", language)
    page, t = w.page, w.t
    programme = getattr(world["small"], f"name_{language}")
    w.check("caseload")

    w.click("link", "Uusi ohjaus")
    w.check("referral-form")
    page.locator("#id_programme").select_option(label=programme)
    page.locator("#id_source").select_option("neuvola")
    page.locator("#id_referred_on").fill("10.1.2024")
    page.locator("#id_reason").fill("Concentration at school")
    page.locator("#id_postal_code").fill("00980")
    page.locator("#id_district").fill("Vuosaari")
    page.locator("#id_child-0-first_names").fill("Aino")
    page.locator("#id_child-0-last_name").fill("Testinen")
    page.locator("#id_child-0-identity_code").fill(identity_code(11))
    page.locator("#id_guardian-0-first_names").fill("Maija")
    page.locator("#id_guardian-0-last_name").fill("Testinen")
    page.locator("#id_guardian-0-identity_code").fill(identity_code(12, birth=D(1988, 3, 3)))
    page.locator("#id_guardian-0-employment_status").select_option("unemployed")
    w.click("button", "Tallenna perhe ja ohjaus")
    expect(page.locator("#timeline-heading")).to_be_visible()
    family = Family.objects.get(children__first_names="Aino")
    w.check("family")

    w.click("link", "Kirjaa suostumus")
    w.check("consent-form")
    page.locator("#id_guardian").select_option(index=1)
    page.locator("#id_programme").select_option(label=programme)
    page.locator("#id_given_on").fill("15.1.2024")
    w.click("button", "Tallenna suostumus")
    expect(page.locator(".messages")).to_contain_text(t("Suostumus kirjattiin."))

    w.click("link", "Ota mukaan ohjelmaan")
    w.check("enrollment-form")
    page.locator("#id_programme").select_option(label=programme)
    page.locator("#id_enrolled_on").fill("1.2.2024")
    w.click("button", "Tallenna")
    enrollment = Enrollment.objects.get(family=family)
    assert enrollment.status == EnrollmentStatus.WAITLISTED  # the one place is taken: the family queues
    w.check("family-queued")

    # The family holding the place leaves (another worker's doing); the queued family can begin.
    occupant = world["occupant"]
    occupant.status, occupant.exit_date, occupant.exit_reason = EnrollmentStatus.EXITED, D(2024, 2, 9), "completed"
    occupant.save(update_fields=["status", "exit_date", "exit_reason"])
    w.click("link", "Jonosta mukaan ohjelmaan")
    w.check("activation-form")
    page.locator("#id_activated_on").fill("10.2.2024")
    w.click("button", "Tallenna")
    expect(page.locator(".messages")).to_contain_text(t("Perhe siirtyi jonosta mukaan ohjelmaan."))

    w.click("link", "Palvelutarpeen arvio")
    w.check("assessment-form")
    page.locator("#id_started_on").fill("12.2.2024")
    page.locator("#id_summary").fill("Support for everyday routines")
    w.click("button", "Tallenna")
    expect(page.locator("#timeline-heading")).to_be_visible()

    w.click("link", "Palvelujakso")
    w.check("episode-form")
    page.locator("#id_enrollment").select_option(index=1)
    page.locator("#id_service").select_option(index=1)
    page.locator("#id_start_date").fill("15.2.2024")
    w.click("button", "Tallenna")
    expect(page.locator("#episodes-heading")).to_be_visible()

    w.click("link", "Tulostieto")
    w.check("observation-form")
    page.locator("#id_metric").select_option(index=1)
    page.locator("#id_child").select_option(index=1)
    page.locator("#id_source").select_option("social_worker")
    page.locator("#id_period_start").fill("1.3.2024")
    page.locator("#id_period_end").fill("31.3.2024")
    page.locator("#id_value").fill("2")
    w.click("button", "Tallenna")
    expect(page.locator("#observations-heading")).to_be_visible()

    w.click("link", "Kirjoita merkintä")
    w.check("note-form")
    page.locator("#id_text").fill("Home visit: the family is doing well")
    w.click("button", "Tallenna merkintä")
    expect(page.locator(".messages")).to_contain_text(t("Merkintä tallennettiin."))

    page.get_by_role("link", name=t("Päätä osallistuminen"), exact=True).first.click()
    w.check("exit-form")
    page.locator("#id_exit_date").fill("30.6.2024")
    page.locator("#id_reason").select_option(ExitReason.COMPLETED)
    w.click("button", "Päätä osallistuminen")
    expect(page.locator(".messages")).to_contain_text(t("Osallistuminen päätettiin."))
    w.check("family-exited")
    w.done()

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.activated_on) == (EnrollmentStatus.EXITED, D(2024, 2, 10))
    assert ServiceNeedsAssessment.objects.filter(family=family).count() == 1
    assert ServiceEpisode.objects.filter(family=family).count() == 1
    assert OutcomeObservation.objects.filter(child__family=family).count() == 1
    assert CaseNote.objects.filter(family=family).count() == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_coordinator_closes_the_window_approves_and_calculates(walk, world, language):
    w = walk("koordinaattori", language)
    page, t = w.page, w.t
    paid = world["paid"]
    w.check("home")

    w.click("link", "Ohjelmat")
    w.check("programmes")
    page.get_by_role("link", name=getattr(paid, f"name_{language}"), exact=True).click()
    w.check("programme")
    w.click("link", "Muuta ilmoittautumisikkunaa")
    w.check("window-form")
    today = datetime.date.today()
    page.locator("#id_enrollment_cutoff").fill(f"{today.day}.{today.month}.{today.year}")
    page.locator("#id_decision_body").fill("Social services board")
    page.locator("#id_decision_date").fill(f"{today.day}.{today.month}.{today.year}")
    page.locator("#id_reason").fill("Board decision")
    w.click("button", "Esikatsele vaikutus")
    w.check("window-preview")
    w.click("button", "Tallenna muutos")
    expect(page.locator(".messages")).to_contain_text(t("Ilmoittautumisikkuna päivitettiin ja muutos kirjattiin."))
    expect(page.locator("main .status-closed")).to_be_visible()
    assert ProgrammeWindowChange.objects.filter(programme=paid).count() == 1

    w.click("link", "Ohjelmat")
    w.click("link", "Hyväksyntäjono")
    w.check("inbox")
    page.locator("main table a[href*='/payments/statements/']").first.click()
    w.check("statement-validated")
    w.click("button", "Hyväksy maksettavaksi")
    expect(page.locator("main")).to_contain_text(t(StatementStatus.APPROVED.label))
    world["waiting"].refresh_from_db()
    assert world["waiting"].status == StatementStatus.APPROVED

    w.click("link", "Tulospalkkiot")
    w.check("statements")
    page.locator("#id_programme").select_option(str(paid.pk))
    page.locator("#id_year").fill("2025")
    w.click("button", "Käynnistä laskenta")
    expect(page.locator("dd > [role=status]")).to_contain_text(t("Valmis"))
    w.check("run")
    w.done()
    assert PaymentStatement.objects.filter(programme=paid, period_start=D(2025, 1, 1)).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_provider_worker_finds_a_family_and_records_visits(walk, world, language):
    w = walk("perhekumppani", language)
    page = w.page
    w.check("home")

    w.click("link", "Perheet")
    w.check("families")
    page.locator("#id_q").fill("Virtanen")
    w.click("button", "Hae")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world["families"][0].reference)
    w.check("family")

    w.click("link", "Tapaaminen")
    w.check("visit-form")
    page.locator("#id_episode").select_option(index=1)
    page.locator("#id_visited_on").fill("4.3.2024")
    page.locator("#id_duration_minutes").fill("45")
    w.click("button", "Tallenna")
    expect(page.locator("#timeline-heading")).to_be_visible()
    assert ServiceVisit.objects.filter(episode__family=world["families"][0]).count() == 1

    w.click("link", "Etusivu")
    w.click("link", "Kirjaa ryhmätapaaminen")
    w.check("group-visit-form")
    for box in page.locator("input[name=episodes]").all():
        box.check()
    page.locator("#id_visited_on").fill("6.3.2024")
    page.locator("#id_duration_minutes").fill("90")
    w.click("button", "Tallenna kaikille valituille")
    expect(page.locator(".messages")).to_be_visible()
    w.check("group-visit-saved")
    w.done()
    assert ServiceVisit.objects.filter(visited_on=D(2024, 3, 6)).count() == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_evaluator_records_a_comparison_cost_and_validates_with_a_sample(walk, world, language):
    w = walk("arvioija", language)
    page, t = w.page, w.t
    paid = world["paid"]
    w.check("home")

    w.click("link", "Tulospalkkiot")
    w.check("statements")
    page.locator("#id_cmp-programme").select_option(str(paid.pk))
    page.locator("#id_cmp-year").fill("2025")
    page.locator("#id_cmp-cost_per_child_year").fill("7200")
    w.click("button", "Kirjaa vertailuluku")
    expect(page.locator("main")).to_contain_text(t("Kirjatut vertailuluvut"))
    w.check("comparison-cost-saved")
    assert ComparisonGroupCost.objects.get(programme=paid).cost_per_child_year == Decimal("7200")

    page.locator(f"main a[href='/payments/statements/{world['draft'].pk}/']").first.click()
    w.check("statement-draft")
    w.click("button", "Poimi tarkastusotos")
    expect(page.locator(".messages")).to_contain_text(t("Otos poimittiin."))
    w.check("sample")
    items = page.locator("form.inline-form")
    for index in range(items.count()):
        items.nth(index).locator("select[name=action]").select_option("confirmed")
        items.nth(index).get_by_role("button", name=t("Tallenna"), exact=True).click()
        expect(page.locator(".messages")).to_contain_text(t("Otoksen havainto kirjattiin."))
    w.click("button", "Merkitse tarkastetuksi")
    expect(page.locator("main")).to_contain_text(t(StatementStatus.VALIDATED.label))
    w.check("statement-validated")
    w.done()
    world["draft"].refresh_from_db()
    assert world["draft"].status == StatementStatus.VALIDATED


@pytest.mark.parametrize("language", LANGUAGES)
def test_fund_manager_reads_the_fund_and_a_programme_and_exports(walk, world, language):
    w = walk("rahasto", language)
    page, t = w.page, w.t
    paid = world["paid"]
    w.check("home")

    w.click("link", "Rahasto")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    w.check("fund-overview")
    with page.expect_download() as download:
        w.click("link", "Lataa CSV")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][0] == t("Ohjelma")
    assert getattr(paid, f"name_{language}") in [row[0] for row in rows[1:]]

    page.get_by_role("link", name=getattr(paid, f"name_{language}"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(getattr(paid, f"name_{language}"))
    expect(page.get_by_role("heading", name=t("Kertyneet tulospalkkiot vuosittain (EUR)"))).to_be_visible()
    w.check("fund-programme")
    with page.expect_download() as download:
        w.click("link", "Lataa PDF")
    assert download.value.path().read_bytes().startswith(b"%PDF")
    w.done()
