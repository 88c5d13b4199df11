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

from families.models import CaseAttachment, CaseNote, ConsentScope, Enrollment, EnrollmentStatus, ExitReason, Family
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
from .conftest import ROOT, axe_violations, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["fi", "sv", "en"]
WIDTHS = [(1366, 900), (390, 844)]
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


def finnish_left(html: str, language: str) -> list[str]:
    """Finnish in the visible text of a Swedish or English page: catalogue texts, and in English any ä or ö word."""
    if language == "fi":
        return []
    parser = VisibleText()
    parser.feed(html)
    text = parser.text
    found = sorted(source for source in _finnish_sources() if source in text)
    if language == "en":
        found += sorted(set(re.findall(r"\w*[äöÄÖ]\w*", text)))
    return found


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
        self.follow(self.page.get_by_role("button", name="Vaihda", exact=True))
        expect(self.page.locator("html")).to_have_attribute("lang", self.language)
        expect(self.page.locator("#language-select")).to_have_value(self.language)

    def follow(self, target) -> None:
        """Clicks a link or a form's button and waits for the page it loads (the app has no script: every click
        navigates). Checking without waiting can read the old document, or none while it is being replaced."""
        with self.page.expect_navigation(wait_until="load"):
            target.click()

    def named(self, role: str, finnish: str):
        return self.page.get_by_role(role, name=self.t(finnish), exact=True).first

    def click(self, role: str, finnish: str) -> None:
        self.follow(self.named(role, finnish))

    def open(self, link: str, name: str) -> None:
        """Follows a link by its text and checks the page it leads to."""
        self.click("link", link)
        self.check(name)

    def form(self, link: str, name: str, fields: dict[str, str | int | dict], submit: str = "Tallenna") -> None:
        """Opens a form from its link, checks the page, fills the fields (by id) and sends it.

        A field's value is typed into an input; into a select it picks the option of that value, or (an int) the
        option at that index; a dict is a file (name, mimeType, buffer) for a file input."""
        self.open(link, name)
        for field_id, value in fields.items():
            field = self.page.locator(f"#id_{field_id}")
            if isinstance(value, dict):
                field.set_input_files(files=[value])
            elif isinstance(value, int):
                field.select_option(index=value)
            elif field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        self.click("button", submit)

    def says(self, finnish: str) -> None:
        """The page's message after a form was sent, in the walk's language."""
        expect(self.page.locator(".messages")).to_contain_text(self.t(finnish))

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
            violations = axe_violations(page)
            self.problems += [
                f"{where} at {width} px: axe {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                for v in violations
            ]
        page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
        html = page.content()
        if codes := internal_codes(html):
            self.problems.append(f"{where}: internal codes {sorted(codes)}")
        if untranslated := finnish_left(html, self.language):
            self.problems.append(f"{where}: not translated: {untranslated[:6]}")

    def done(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def page_path(page) -> str:
    return page.url.split("//", 1)[-1].split("/", 1)[-1]


@pytest.fixture
def walk(browser, live_server):
    """One browser context per test, that is per (role, language)."""
    contexts = []
    expect.set_options(timeout=20_000)  # two shared cores: a busy machine answers a form slower than 5 s

    def start(username: str, language: str) -> Walk:
        context = browser.new_context(
            viewport={"width": WIDTHS[0][0], "height": WIDTHS[0][1]}, locale="fi-FI", bypass_csp=True
        )
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, username)
        walker = Walk(page, live_server, language)
        walker.switch_language()
        walker.check("home")
        return walker

    yield start
    for context in contexts:
        context.close()
    expect.set_options(timeout=5_000)


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

    w.form(
        "Uusi ohjaus",
        "referral-form",
        {
            "programme": str(world["small"].pk),
            "source": "neuvola",
            "referred_on": "10.1.2024",
            "reason": "Concentration at school",
            "postal_code": "00980",
            "district": "Vuosaari",
            "child-0-first_names": "Aino",
            "child-0-last_name": "Testinen",
            "child-0-identity_code": identity_code(11, birth=D(2015, 5, 5)),  # no factory person is born then
            "guardian-0-first_names": "Maija",
            "guardian-0-last_name": "Testinen",
            "guardian-0-identity_code": identity_code(12, birth=D(1988, 3, 3)),
            "guardian-0-employment_status": "unemployed",
        },
        submit="Tallenna perhe ja ohjaus",
    )
    expect(page.locator("#timeline-heading")).to_be_visible()
    family = Family.objects.get(children__first_names="Aino")
    w.check("family")

    programme = {"programme": str(world["small"].pk)}
    w.form(
        "Kirjaa suostumus", "consent-form", {"guardian": 1, **programme, "given_on": "15.1.2024"}, "Tallenna suostumus"
    )
    w.says("Suostumus kirjattiin.")
    w.form("Ota mukaan ohjelmaan", "enrollment-form", {**programme, "enrolled_on": "1.2.2024"})
    expect(page.get_by_role("link", name=t("Jonosta mukaan ohjelmaan"))).to_be_visible()
    enrollment = Enrollment.objects.get(family=family)
    assert enrollment.status == EnrollmentStatus.WAITLISTED  # the one place is taken: the family queues
    w.check("family-queued")

    # The family holding the place leaves (another worker's doing); the queued family can begin.
    occupant = world["occupant"]
    occupant.status, occupant.exit_date, occupant.exit_reason = EnrollmentStatus.EXITED, D(2024, 2, 9), "completed"
    occupant.save(update_fields=["status", "exit_date", "exit_reason"])
    w.form("Jonosta mukaan ohjelmaan", "activation-form", {"activated_on": "10.2.2024"})
    w.says("Perhe siirtyi jonosta mukaan ohjelmaan.")

    w.form("Palvelutarpeen arvio", "assessment-form", {"started_on": "12.2.2024", "summary": "Everyday routines"})
    expect(page.locator("#timeline-heading")).to_be_visible()
    w.form("Palvelujakso", "episode-form", {"enrollment": 1, "service": 1, "start_date": "15.2.2024"})
    expect(page.locator("#episodes-heading")).to_be_visible()
    observation = {"metric": 1, "child": 1, "source": "social_worker", "period_start": "1.3.2024"}
    w.form("Tulostieto", "observation-form", {**observation, "period_end": "31.3.2024", "value": "2"})
    expect(page.locator("#observations-heading")).to_be_visible()
    w.form("Kirjoita merkintä", "note-form", {"text": "Home visit: doing well"}, "Tallenna merkintä")
    w.says("Merkintä tallennettiin.")

    pdf = {"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    w.form("Lisää liite", "attachment-form", {"file": pdf, "description": "School report"}, "Tallenna liite")
    w.says("Liite tallennettiin.")

    w.form(
        "Päätä osallistuminen",
        "exit-form",
        {"exit_date": "30.6.2024", "reason": ExitReason.COMPLETED},
        "Päätä osallistuminen",
    )
    w.says("Osallistuminen päätettiin.")
    w.check("family-exited")
    w.done()

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.activated_on) == (EnrollmentStatus.EXITED, D(2024, 2, 10))
    assert ServiceNeedsAssessment.objects.filter(family=family).count() == 1
    assert ServiceEpisode.objects.filter(family=family).count() == 1
    assert OutcomeObservation.objects.filter(child__family=family).count() == 1
    assert CaseNote.objects.filter(family=family).count() == 1
    assert CaseAttachment.objects.filter(family=family).count() == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_coordinator_closes_the_window_approves_and_calculates(walk, world, language):
    w = walk("koordinaattori", language)
    page, t = w.page, w.t
    paid = world["paid"]

    w.open("Ohjelmat", "programmes")
    w.follow(page.get_by_role("link", name=getattr(paid, f"name_{language}"), exact=True))
    w.check("programme")
    day = f"{datetime.date.today():%d.%m.%Y}"
    window = {"enrollment_cutoff": day, "decision_body": "Social services board", "decision_date": day}
    w.form("Muuta ilmoittautumisikkunaa", "window-form", {**window, "reason": "Board decision"}, "Esikatsele vaikutus")
    w.check("window-preview")
    w.click("button", "Tallenna muutos")
    w.says("Ilmoittautumisikkuna päivitettiin ja muutos kirjattiin.")
    expect(page.locator("main .status-closed")).to_be_visible()
    assert ProgrammeWindowChange.objects.filter(programme=paid).count() == 1

    w.click("link", "Ohjelmat")
    w.open("Hyväksyntäjono", "inbox")
    w.follow(page.locator("main table a[href*='/payments/statements/']").first)
    w.check("statement-validated")
    w.click("button", "Hyväksy maksettavaksi")
    expect(page.locator("main")).to_contain_text(t(StatementStatus.APPROVED.label))
    world["waiting"].refresh_from_db()
    assert world["waiting"].status == StatementStatus.APPROVED

    w.open("Tulospalkkiot", "statements")
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

    w.open("Perheet", "families")
    page.locator("#id_q").fill("Virtanen")
    w.click("button", "Hae")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    w.follow(rows.first.get_by_role("link"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(world["families"][0].reference)
    w.check("family")

    w.form("Tapaaminen", "visit-form", {"episode": 1, "visited_on": "4.3.2024", "duration_minutes": "45"})
    expect(page.locator("#timeline-heading")).to_be_visible()
    assert ServiceVisit.objects.filter(episode__family=world["families"][0]).count() == 1

    w.click("link", "Etusivu")
    w.open("Kirjaa ryhmätapaaminen", "group-visit-form")
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

    w.open("Tulospalkkiot", "statements")
    page.locator("#id_cmp-programme").select_option(str(paid.pk))
    page.locator("#id_cmp-year").fill("2025")
    page.locator("#id_cmp-cost_per_child_year").fill("7200")
    w.click("button", "Kirjaa vertailuluku")
    w.says("Vertailuryhmän kustannus kirjattiin.")
    w.check("comparison-cost-saved")
    assert ComparisonGroupCost.objects.get(programme=paid).cost_per_child_year == Decimal("7200")

    w.follow(page.locator(f"main a[href='/payments/statements/{world['draft'].pk}/']").first)
    w.check("statement-draft")
    w.click("button", "Poimi tarkastusotos")
    w.says("Otos poimittiin.")
    w.check("sample")
    items = page.locator("form.inline-form")
    for index in range(items.count()):
        items.nth(index).locator("select[name=action]").select_option("confirmed")
        w.follow(items.nth(index).get_by_role("button", name=t("Tallenna"), exact=True))
        w.says("Otoksen havainto kirjattiin.")
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

    w.click("link", "Rahasto")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    w.check("fund-overview")
    with page.expect_download() as download:
        w.named("link", "Lataa CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][0] == t("Ohjelma")
    assert getattr(paid, f"name_{language}") in [row[0] for row in rows[1:]]

    w.follow(page.get_by_role("link", name=getattr(paid, f"name_{language}"), exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text(getattr(paid, f"name_{language}"))
    expect(page.get_by_role("heading", name=t("Kertyneet tulospalkkiot vuosittain (EUR)"))).to_be_visible()
    w.check("fund-programme")
    with page.expect_download() as download:
        w.named("link", "Lataa PDF").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    w.done()


def test_finnish_finder_sees_untranslated_text():
    html = '<p title="Tallenna perhe ja ohjaus">Spara</p><main>Tallenna perhe ja ohjaus <b>Lisää liite</b></main>'
    assert finnish_left(html, "sv") == ["Tallenna perhe ja ohjaus"]
    assert finnish_left(html, "en") == ["Tallenna perhe ja ohjaus", "Lisää"]
    assert finnish_left(html, "fi") == []
