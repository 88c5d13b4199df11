"""The axe helper the browser tests rely on finds violations, on the first page of a context and on later ones
(where axe comes from the context's init script, not from a script tag)."""

import pytest

from .conftest import axe_violations

pytestmark = pytest.mark.browser

BAD_PAGE = '<!doctype html><html lang="fi"><title>t</title><main><img src="/x.png"></main></html>'


def test_axe_finds_a_missing_alternative_text_on_first_and_later_pages(context):
    context.route("http://axe.test/**", lambda route: route.fulfill(body=BAD_PAGE, content_type="text/html"))
    page = context.new_page()
    page.goto("http://axe.test/first")
    assert "image-alt" in {v["id"] for v in axe_violations(page)}
    page.goto("http://axe.test/second")
    assert page.evaluate("typeof axe") == "object"
    assert "image-alt" in {v["id"] for v in axe_violations(page)}
    later = context.new_page()
    later.goto("http://axe.test/third")
    assert "image-alt" in {v["id"] for v in axe_violations(later)}
