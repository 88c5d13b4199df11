"""Real-browser tests: Playwright drives Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

from sibcase.models import User
from tests.otp_support import confirmed_totp_device, fresh_code

# The sync Playwright API runs an event loop in the test thread; Django's async guard would refuse the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # bypass_csp lets the test inject axe-core; the app's own pages still send their strict CSP header.
    return {**browser_context_args, "bypass_csp": True, "viewport": {"width": 1024, "height": 768}, "locale": "fi-FI"}


# Only violations are collected: gathering the passes too costs most of axe's time on a long page.
AXE_RUN = """async () => await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"""


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations of any impact on the page.

    The first check in a browser context adds axe to this page and, as an init script, to every page the context
    loads afterwards: Chromium then compiles it once, where a script tag per page cost about 130 ms each time."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.context.add_init_script(path=str(AXE))
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)["violations"]


def check_accessibility(page, name: str) -> None:
    """Run axe-core (WCAG 2.1 A and AA) on the page, save a screenshot, fail on any finding of any impact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in axe_violations(page)
    ]
    assert not bad, f"{name}: " + "; ".join(bad)


def login(page, live_server, username: str, password: str = "correct horse battery staple") -> None:
    """Signs in as a person would: password, then the code of the user's (real, confirmed) TOTP device."""
    device = confirmed_totp_device(User.objects.get(username=username))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Käyttäjätunnus").fill(username)
    page.get_by_label("Salasana").fill(password)
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_url(f"{live_server.url}/login/code/**")
    page.get_by_label("Vahvistuskoodi").fill(fresh_code(device))
    page.get_by_role("button", name="Vahvista").click()
    page.wait_for_url(f"{live_server.url}/")
