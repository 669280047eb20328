"""The account brief, the health model editor (with its preview) and a parent account's page,
at a desktop and a phone width: no serious or critical axe-core violation, no overflow."""

import pytest
from django.core.management import call_command

from accounts.models import Account
from csos.models import Workspace
from health.models import HealthModel
from tests.browser.test_accessibility import WIDTHS, _problems, _shown_problems, _sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def pages(transactional_db) -> dict[str, str]:
    call_command("demo_workspace", "--accounts", "12", "--csms", "2", "--seed", "3", verbosity=0)
    workspace = Workspace.objects.get()
    accounts = list(Account.dangerously_unscoped.filter(workspace=workspace).order_by("pk"))
    group, children = accounts[0], accounts[1:4]
    Account.dangerously_unscoped.filter(pk__in=[a.pk for a in children]).update(parent=group)
    model = HealthModel.dangerously_unscoped.get(workspace=workspace, is_default=True)
    return {
        "brief": f"/accounts/{children[0].pk}/brief/",
        "group": f"/accounts/{group.pk}/",
        "editor": f"/health/models/{model.pk}/",
    }


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_passes_axe_without_overflow_on_the_brief_editor_and_group_pages(
    browser, live_server, pages, width
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    tab = context.new_page()
    _sign_in(tab)
    problems = []
    for path in pages.values():
        problems += _problems(tab, path, width)
    tab.goto(pages["editor"])
    tab.get_by_role("button", name="Preview on past renewals").click()
    tab.wait_for_selector("[data-preview]")
    problems += _shown_problems(tab, f"{pages['editor']} (preview)", width)
    context.close()
    assert problems == [], "\n".join(problems)
