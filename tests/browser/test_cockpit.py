"""The leader's cockpit in the browser: accessible at both widths, and a leader's way from a
coverage figure to its accounts and out as CSV."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from tests.browser.test_accessibility import WIDTHS, _problems

pytestmark = pytest.mark.browser

LEADER = "leader@demo.csos.example"
PAGES = [
    "/leaders/",
    "/leaders/?segment=small&period={period}",
    "/leaders/accounts/?figure=coverage&by=segment&group=small",
    "/leaders/forecast/",
]


@pytest.fixture
def demo(transactional_db):
    call_command("demo_workspace", "--accounts", "40", "--csms", "2", "--seed", "3", verbosity=0)


def _sign_in(tab) -> None:
    tab.goto("/login/")
    tab.get_by_label("E-mail address").fill(LEADER)
    tab.get_by_label("Password").fill(DEMO_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/leaders/")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_passes_axe_without_overflow_on_the_leader_pages(browser, live_server, demo, width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    tab = context.new_page()
    _sign_in(tab)
    tab.goto("/leaders/")
    period = tab.get_by_label("Period", exact=True).input_value()
    problems = []
    for path in PAGES:
        problems += _problems(tab, path.format(period=period), width)
    context.close()
    assert problems == [], "\n".join(problems)


def test_it_takes_a_leader_from_a_coverage_figure_to_its_accounts_and_out_as_csv(
    demo, page, console_errors
):
    _sign_in(page)  # a leader lands on the cockpit
    expect(page.get_by_role("heading", name="Cockpit", level=1)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Share of ARR proven"))).to_be_visible()
    coverage = page.get_by_role("table", name=re.compile(r"highest proven level, per segment"))
    figure = coverage.locator("tbody tr").first.locator("td").first.get_by_role("link")
    count = int(figure.inner_text())
    figure.click()
    expect(page).to_have_url(re.compile(r"/leaders/accounts/\?.*figure=coverage"))
    expect(page.get_by_role("heading", name="Active accounts", level=1)).to_be_visible()
    rows = page.get_by_role("table", name="Accounts behind the cockpit figure").locator("tbody tr")
    expect(rows).to_have_count(min(count, 50))
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Account,External id,Segment")
    assert len(lines) == count + 1
    page.get_by_role("link", name="← Cockpit").click()
    expect(page.get_by_role("heading", name="Cockpit", level=1)).to_be_visible()
    assert console_errors == []
