"""The sign-in page while the first demo workspace is being built: it says so, accessibly, and
tells the visitor by itself once the build is done."""

import psycopg
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection
from playwright.sync_api import expect

from csos.demo_build import DEMO_BUILD_LOCK

pytestmark = pytest.mark.browser


@pytest.fixture
def build_elsewhere(transactional_db):
    """A demo build in another process: it holds the build's lock until it is released."""
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"],
        password=settings["PASSWORD"],
    )
    other.execute("SELECT pg_advisory_xact_lock(%s, %s)", DEMO_BUILD_LOCK)
    yield other
    other.close()


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
