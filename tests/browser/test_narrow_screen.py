"""Every main page fits a 390 px phone screen without horizontal scrolling, with no axe-core violation at all.

The demo data (seed_demo) gives realistic names, long programme titles and wide tables. Each demo role logs in
at 390 × 844 and opens every page of the app it may use (with real ids); a wide table may scroll inside its own
box, but the page itself never becomes wider than the screen.
"""

import pytest
from django.utils import timezone

from payments.models import StatementKind
from payments.services.calculate import quarter_of
from payments.services.runs import run_request
from programs.models import Programme
from sibcase.management.commands.seed_demo import DEMO_PASSWORD
from sibcase.models import User

from ..pages import open_demo_transfer, page_urls
from .conftest import SCREENSHOTS, axe_violations, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390
ROLES = [
    "demo-sosiaalityo-vantaa",
    "demo-koordinaattori",
    "demo-perhekumppani",
    "demo-arvioija",
    "demo-rahasto",
    "demo-admin",
]
# Pages that are POST-only answer 405 to a visit; they render the statements page, which is visited anyway.
POST_ONLY = {
    "payments:run_create",
    "payments:comparison_cost_create",
    "payments:statement_transition",
    "payments:statement_recalculate",
}


def _problems(page, name: str) -> list[str]:
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > limit + 1 && !e.closest('.table-scroll'))
                 .slice(0, 4).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
            WIDTH,
        )
        problems.append(f"{width} px wide: {wide}")
    problems += [
        f"axe {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in axe_violations(page)
    ]
    if problems:  # the evidence for a failure (a full-page screenshot of every page costs a minute of the suite)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"390-{name}.png"), full_page=True)
    return problems


@pytest.fixture
def demo(demo_data):
    # An open transfer Vantaa → Helsinki: Vantaa's cancel page and the coordinator's (Helsinki's) decision page.
    open_demo_transfer()
    # A calculation run, so its page is visited too (the seed calculates its statements directly).
    start, end = quarter_of(timezone.localdate())
    run_request(
        actor=User.objects.get(username="demo-koordinaattori"),
        programme=Programme.objects.get(code="helsinki-perheen-mukana"),
        kind=StatementKind.PREVIEW,
        period_start=start,
        period_end=end,
    )


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale="fi-FI", bypass_csp=True)
    yield context
    context.close()


def test_every_page_fits_390_px_and_passes_axe_for_every_role(demo, phone, live_server):
    failures = {}
    page = phone.new_page()
    page.goto(f"{live_server.url}/login/")
    if problems := _problems(page, "login"):
        failures["/login/"] = problems
    page.close()
    for username in ROLES:
        phone.clear_cookies()
        page = phone.new_page()
        login(page, live_server, username, DEMO_PASSWORD)
        user = User.objects.get(username=username)
        for name, urls in page_urls(user).items():
            if name in POST_ONLY or name == "login" or not urls:
                continue
            response = page.goto(f"{live_server.url}{urls[0]}")
            if response.status != 200:
                continue  # not this role's page (403) or not its family (404)
            problems = _problems(page, f"{username}-{name.replace(':', '-')}")
            if problems:
                failures[f"{username} {urls[0]}"] = problems
        page.close()
    assert not failures, "\n".join(f"{where}: {problems}" for where, problems in failures.items())
