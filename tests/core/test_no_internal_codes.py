"""No page shows an internal code: every page the app serves, as every role, in visible text.

The demo data (seed_demo) plus a refused enrollment are crawled for each demo login: every URL pattern of the
app (detail pages with real ids of what the role may see), every link found on those pages, and every form
sent empty so that its error messages show. Visible text is the page's text nodes without scripts, styles and
attribute values. A `snake_case` word or a `dotted.code` in it is an internal code that reached a person.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone

from families import services as family_services
from families.models import Family
from outcomes.services import assessment_correct, assessment_create
from payments.models import StatementKind
from payments.services.calculate import quarter_of
from payments.services.runs import run_request
from programs.models import Programme
from sibcase.errors import DomainError
from sibcase.models import User

from ..pages import open_demo_transfer, page_urls

pytestmark = pytest.mark.django_db

# Not pages for people: the admin (reference-data administration, its own tool), the JSON API (its codes are
# machine-readable by design), the language switch and logout (POST-only redirects), static files, downloads.
# The second sign-in step's pages (/login/code/, /login/authenticator/) only answer a session that has not passed it:
# tests/core/test_otp.py covers them.
NOT_PAGES = ("/admin/", "/api/", "/i18n/", "/logout/", "/static/", "/healthz", "/login/code/", "/login/authenticator/")
DOWNLOADS = (".csv", ".pdf", ".xlsx", ".json")
# Downloads whose route does not end in a file extension, and pages that need data the demo has none of (a
# background import job: its page has its own tests in tests/api/test_observation_import_jobs.py).
# A deputy's end page needs a deputy (the demo names only responsible workers: tests/families/test_assignment.py
# covers it), and an attachment download needs an uploaded file (tests/families/test_notes_attachments.py; a sample
# check's evidence: tests/payments/test_sample_evidence.py).
NOT_CRAWLED = {
    "payments:statement_document",
    "outcomes:import_status",
    "families:assignment_end",
    "families:attachment_download",
    "payments:sample_evidence",
}
PER_PATTERN = 3  # distinct URLs of one pattern per login: enough to see each kind of row without crawling all
# Text that legitimately looks like a code. Nothing today; add an entry only with the reason beside it.
ALLOWED: set[str] = set()

SNAKE = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+"
DOTTED = r"[a-z][a-z0-9_]+(?:\.[a-z][a-z0-9_]+)+"
CODE = re.compile(rf"(?<![\w.@/:-])(?:{DOTTED}|{SNAKE})(?![\w@/-])")
# A file name a person gave (an attachment's "todistus.pdf") is their text, not a code.
FILE_NAMES = (".pdf", ".png", ".jpg", ".jpeg")

# Forms sent empty (or with an unknown value) to see their error messages. Never anything that writes.
EMPTY_POSTS = {
    "families:referral_create",
    "families:consent_create",
    "families:consent_withdraw",
    "families:enrollment_create",
    "families:enrollment_exit",
    "families:transfer_request",
    "families:transfer_decide",
    "families:transfer_cancel",
    "outcomes:assessment_create",
    "outcomes:assessment_correct",
    "families:identity_code_correct",
    "families:consent_correct",
    "families:consent_void",
    "families:backdating_request_create",
    "outcomes:episode_create",
    "outcomes:observation_create",
    "outcomes:visit_create",
    "programs:window_edit",
    "programs:rule_create",
    "programs:rule_edit",
    "payments:run_create",
    "payments:comparison_cost_create",
    "payments:statement_transition",
}
POST_ONLY = {
    "families:task_done",
    "privacy:erasure_propose",
    "privacy:erasure_decide",
    "privacy:break_glass_reviewed",
    "payments:run_retry",
    "payments:sample_draw",
    "payments:sample_item",
    "payments:terms_create",
    "payments:terms_put_in_force",
    "programs:backdating_approve",
    "programs:backdating_reject",
    "payments:run_create",
    "payments:comparison_cost_create",
    "payments:statement_transition",
    "payments:statement_recalculate",
}


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes, without scripts and styles, without attribute values."""

    SKIPPED = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self._skipping += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def internal_codes(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return _codes_in(parser.text)


def _codes_in(text: str) -> set[str]:
    return {match for match in CODE.findall(text) if match not in ALLOWED and not match.endswith(FILE_NAMES)}


def _patterns(resolver: URLResolver | None = None, namespace: str = "", prefix: str = "") -> list[tuple[str, str]]:
    """(view name, route) of every named URL pattern of the app."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _patterns(entry, space, route)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{namespace}{entry.name}", route))
    return found


def _is_page(route_or_path: str) -> bool:
    path = "/" + route_or_path.lstrip("/^")
    return not path.startswith(NOT_PAGES) and not path.endswith(DOWNLOADS) and "set_language" not in path


def crawl(client, user: User | None) -> tuple[dict[str, set[str]], set[str]]:
    """Every page this login reaches: {url: codes shown}, and the view names that answered with a page."""
    if user is not None:
        client.force_login(user)
    seeds = page_urls(user) if user is not None else {"login": [reverse("login")], "home": [reverse("home")]}
    queue = deque(url for urls in seeds.values() for url in urls)
    seen: set[str] = set()
    per_pattern: Counter[str] = Counter()
    offences: dict[str, set[str]] = {}
    answered: set[str] = set()
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or not _is_page(path):
            continue
        seen.add(url)
        try:
            name = resolve(path).view_name
        except Resolver404:
            continue
        if per_pattern[name] >= PER_PATTERN:
            continue
        per_pattern[name] += 1
        responses = []
        if name not in POST_ONLY:
            responses.append(("GET " + url, client.get(url, follow=True)))
        if name in EMPTY_POSTS:
            responses.append(("POST " + url, client.post(url, {"to_status": "unknown"}, follow=True)))
        for label, response in responses:
            if "text/html" not in response.get("Content-Type", ""):
                continue
            html = response.content.decode()
            if response.status_code in (200, 400):
                answered.add(name)
            parser = VisibleText()  # one parse for the visible text and the links
            parser.feed(html)
            if codes := _codes_in(parser.text):
                offences[f"{label} ({response.status_code})"] = codes
            queue.extend(urljoin(url, link).split("#")[0] for link in parser.links if not link.startswith("#"))
    return offences, answered


@pytest.fixture
def demo(demo_data, settings):  # the demo data, on this module's copy of the seeded database (tests.demo_data)
    settings.LANGUAGE_CODE = "fi"
    # A refused enrollment (Vantaa takes no new families), so the coordinators' refusal table has rows.
    vantaa = Programme.objects.get(code="vantaa-lapset-sib")
    family = Family.objects.filter(municipality=vantaa.municipality).order_by("pk").first()
    worker = User.objects.get(username="demo-sosiaalityo-vantaa")
    with pytest.raises(DomainError):
        family_services.enrollment_create(
            actor=worker,
            programme=vantaa,
            family=family,
            enrolled_on=timezone.localdate(),
            children=list(family.children.all()),
            referral=None,
        )
    # An open transfer Vantaa → Helsinki, so both sides' transfer pages have a row.
    open_demo_transfer()
    # A corrected service-needs assessment (the seed records none): its correction page and timeline row.
    assessment = assessment_create(
        actor=worker, family=family, started_on=timezone.localdate(), summary="Perhe tarvitsee tukea arkeen."
    )
    assessment_correct(actor=worker, assessment=assessment, reason="Kirjoitusvirhe", summary="Perhe tarvitsee tukea.")
    # A calculation run requested from the page (the seed calculates its statements directly).
    start, end = quarter_of(timezone.localdate())
    run_request(
        actor=User.objects.get(username="demo-koordinaattori"),
        programme=Programme.objects.get(code="helsinki-perheen-mukana"),
        kind=StatementKind.PREVIEW,
        period_start=start,
        period_end=end,
    )
    return User.objects.filter(username__startswith="demo-").order_by("username")


def test_no_page_shows_an_internal_code_to_any_role(client, demo, settings):
    offences: dict[str, dict[str, set[str]]] = {}
    answered: set[str] = set()
    for n, user in enumerate([None, *demo]):
        client.logout()
        # Logins take turns with the three languages, so every language is crawled without tripling the time.
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = ("fi", "sv", "en")[n % 3]
        found, names = crawl(client, user)
        answered |= names
        if found:
            offences[user.username if user else "anonymous"] = found
    assert not offences, "\n".join(
        f"{who}: {url}: {sorted(codes)}" for who, pages in offences.items() for url, codes in pages.items()
    )
    # Every page of the app was reached by someone, so a new page cannot slip past this test unseen.
    pages = {name for name, route in _patterns() if _is_page(route)} - POST_ONLY - NOT_CRAWLED
    assert pages - answered == set()


def test_code_finder_sees_codes_only_in_visible_text():
    html = (
        '<p title="consent.given">Suostumus annettu</p><script>var enrollment_closed = 1;</script>'
        '<style>.verdict_pass{}</style><select><option value="social_worker">Sosiaalityöntekijä</option></select>'
        "<td>statement.paid</td><code>enrollment_closed</code><li>todistus.pdf</li>"
    )
    assert internal_codes(html) == {"statement.paid", "enrollment_closed"}


def test_language_menu_names_each_language_in_itself(client, social_worker):
    client.force_login(social_worker)
    for language in ("fi", "sv", "en"):
        client.cookies["django_language"] = language
        parser = VisibleText()
        html = client.get(reverse("home")).content.decode()
        menu = html[html.index('<select name="language"') : html.index("</select>")]
        parser.feed(menu)
        assert parser.text.split() == ["Suomi", "Svenska", "English"], language
