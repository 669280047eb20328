"""Headless Chromium (Debian's package) driven by Playwright against the live test server."""

import os

import pytest

from tests.conftest import CHROMIUM, chromium_available

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures
# in that same thread are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Without these Chromium keeps trying to reach Google's services from a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not chromium_available():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors():
    return []


@pytest.fixture
def page(browser, live_server, console_errors):
    """A fresh browser tab on the live server that records every console error and page error."""
    context = browser.new_context(base_url=live_server.url)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: console_errors.append(str(error)))
    yield tab
    context.close()
