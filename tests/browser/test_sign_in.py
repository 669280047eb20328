"""The sign-in page while the first demo workspace is being built: it says so, accessibly, and
tells the visitor by itself once the build is done."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import demo_build_elsewhere

pytestmark = pytest.mark.browser


@pytest.fixture
def build_elsewhere(transactional_db):
    with demo_build_elsewhere() as other:
        yield other


@pytest.mark.parametrize("width", [1440, 390])
def test_it_waits_for_the_first_demo_build_on_the_sign_in_page(page, build_elsewhere, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/login/")
    expect(page.get_by_role("status")).to_contain_text("The demo workspace is being built")
    violations = [
        violation["id"]
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert violations == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    build_elsewhere.rollback()  # the build is over
    expect(page.get_by_role("status")).to_contain_text(
        "The demo workspace is ready", timeout=10_000
    )
