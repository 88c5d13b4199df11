"""The API documentation renders in a real browser under the app's strict CSP (no inline scripts, no CDN)."""

import pytest
from playwright.sync_api import expect

from sibcase.models import Role

from ..factories import UserFactory
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": False}  # the point here is the CSP itself


def test_swagger_ui_renders_the_schema(page, live_server):
    UserFactory(username="integraatio", role=Role.SOCIAL_WORKER)
    login(page, live_server, "integraatio")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("sibcase API", timeout=15000)
