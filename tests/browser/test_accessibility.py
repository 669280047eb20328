"""Every page family, at a desktop and a phone width: no serious or critical axe-core violation
and no horizontal overflow of the page itself (wide tables scroll inside their own box)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from accounts import imports
from accounts.demo import DEMO_PASSWORD
from accounts.models import Account
from csos.links import link_token
from csos.models import Invitation, Workspace
from csos.services.invitations import invitation_token
from csos.tenancy import workspace_scope
from health.models import HealthBacktest
from playbooks.models import Task
from stakeholders.models import MEETING_KINDS, Interaction, SalesHandoff, Stakeholder
from stakeholders.services import plan_share_link_create

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1440, "phone": 390}
BLOCKING_IMPACTS = {"serious", "critical"}
ADMIN = "admin@demo.csos.example"

# Pages behind sign-in, as the demo workspace's admin sees them; "{account}", "{import}" are ids.
SIGNED_IN_PAGES = [
    "/portfolio/",
    "/portfolio/?segment=small&sort=-arr",
    "/accounts/{account}/",
    "/accounts/{account}/edit/",
    "/accounts/new/",
    "/retention/",
    "/accounts/import/",
    "/accounts/import/{import}/",
    "/stakeholders/import/",
    "/value/usage/import/",
    "/accounts/{account}/signals/",
    "/health/imports/tickets/",
    "/health/quality/",
    "/health/quality/{backtest}/renewals/?days=90&part=report&band=red",
    "/value/framework/",
    "/value/framework/event-mappings/new/",
    "/settings/members/",
    "/settings/",
    "/settings/audit/",
    "/settings/exchange-rates/",
    "/settings/import-mappings/",
    "/value/coverage/",
    "/value/coverage/accounts/?by=segment&group=small",
    "/password/",
    "/password/done/",
    # The pages a CSM lives in, filled: a departure on the map, participants, long names.
    "/accounts/{churned}/",
    "/accounts/{account}/next-action/",
    "/accounts/{crowded}/",
    "/accounts/{crowded}/stakeholders/",
    "/accounts/{crowded}/handoff/",
    "/accounts/{crowded}/plan/",
    "/accounts/{crowded}/timeline/",
    "/interactions/{meeting}/",
    "/interactions/{meeting}/prep/",
    # The CSM's week: the queue, tasks, search, value captured.
    "/queue/?csm={csm}",
    "/queue/pooled/",
    "/settings/attention/",
    "/tasks/?everyone=on",
    "/tasks/{task}/",
    "/accounts/{account}/tasks/new/",
    "/accounts/{account}/captures/new/",
    "/search/?q=a",
    "/search/?q=acme",
    "/leaders/value-capture/",
]
PUBLIC_PAGES = [
    "/login/",
    "/password/reset/",
    "/password/reset/sent/",
    "/password/reset/Mg/forged-token/",
    "/invitations/{invitation}/",
    "/invitations/forged-token/",
    "/shared/plans/{shared_plan}/",
]


@pytest.fixture
def demo_ids(transactional_db) -> dict[str, str]:
    call_command("demo_workspace", "--accounts", "40", "--csms", "2", "--seed", "3", verbosity=0)
    workspace = Workspace.objects.get()
    account = Account.dangerously_unscoped.filter(workspace=workspace).order_by("pk").first()
    with workspace_scope(workspace):
        created = imports.account_import_create(
            workspace=workspace,
            by=None,
            filename="crm-export.csv",
            content="external_id,name\nCRM-1,Acme\n",
        )
        account_import = imports.account_import_check(import_id=created.pk)
    invitation = Invitation.dangerously_unscoped.create(workspace=workspace, email="new@x.example")
    backtest = HealthBacktest.dangerously_unscoped.filter(
        workspace=workspace, computed_at__isnull=False
    ).first()
    churned = Account.dangerously_unscoped.filter(workspace=workspace, status="churned").first()
    task = Task.dangerously_unscoped.filter(workspace=workspace, status="open").first()
    return {
        **_crowded_ids(workspace),
        "csm": str(account.owner_id),
        "task": str(task.pk),
        "churned": str(churned.pk),
        "account": str(account.pk),
        "backtest": str(backtest.pk),
        "import": str(account_import.pk),
        "invitation": invitation_token(invitation=invitation),
    }


LONG_NAME = "Bartholomew-Maximilian Featherstonehaugh-Wolfeschlegelsteinhausen"


def _crowded_ids(workspace: Workspace) -> dict[str, str]:
    """An account with a departure, a handoff, an active plan and a prepared meeting with
    participants, its name and its people's names made long."""
    with workspace_scope(workspace):
        meeting = (
            Interaction.objects.filter(
                kind__in=MEETING_KINDS,
                account__stakeholders__status="left",
                account__success_plans__status="active",
                account__in=SalesHandoff.objects.values("account"),
            )
            .exclude(prep_objective="")
            .order_by("pk")
            .first()
        )
        account = meeting.account
        account.name = f"{LONG_NAME} International Holdings"
        account.save(update_fields=["name"])
        Stakeholder.objects.filter(account=account).update(name=LONG_NAME, title=LONG_NAME)
        plan = account.success_plans.get(status="active")
        link = plan_share_link_create(plan=plan, by=None)
    return {
        "crowded": str(account.pk),
        "meeting": str(meeting.pk),
        "shared_plan": link_token(link),
    }


# The outermost elements that stick out past the right edge, to say what overflows.
OVERFLOWING = """() => [...document.querySelectorAll("body *")]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(el => !el.parentElement.closest(".table-scroll"))
  .filter(el => el.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
  .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""))"""


def _problems(page, path: str, width: int) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status < 500, path
    page.wait_for_load_state("load")
    return _shown_problems(page, path, width)


def _shown_problems(page, path: str, width: int) -> list[str]:
    """The overflow and axe violations of the page the tab shows now."""
    problems = []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        culprits = page.evaluate(OVERFLOWING)
        problems.append(f"{path} at {width}px: the page overflows by {overflow}px: {culprits}")
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(
                f"{path} at {width}px: {violation['impact']} {violation['id']}: "
                f"{violation['help']} {targets}"
            )
    return problems


def _sign_in(tab) -> None:
    tab.goto("/login/")
    tab.get_by_label("E-mail address").fill(ADMIN)
    tab.get_by_label("Password").fill(DEMO_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/leaders/")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_passes_axe_without_overflow_on_every_page_family(browser, live_server, demo_ids, width):
    problems = []
    viewport = {"width": width, "height": 900}
    public = browser.new_context(base_url=live_server.url, viewport=viewport)
    public_tab = public.new_page()
    for path in PUBLIC_PAGES:
        problems += _problems(public_tab, path.format(**demo_ids), width)
    public.close()

    signed_in = browser.new_context(base_url=live_server.url, viewport=viewport)
    tab = signed_in.new_page()
    _sign_in(tab)
    for path in SIGNED_IN_PAGES:
        problems += _problems(tab, path.format(**demo_ids), width)
    signed_in.close()
    assert problems == [], "\n".join(problems)


def test_it_folds_the_navigation_and_scrolls_the_portfolio_at_phone_width(
    browser, live_server, demo_ids
):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 900})
    tab = context.new_page()
    _sign_in(tab)
    menu = tab.get_by_role("button", name="Menu")
    retention_link = tab.get_by_role("link", name="Retention", exact=True)
    assert menu.get_attribute("aria-expanded") == "false"
    assert not retention_link.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    expect(retention_link).to_be_visible()

    last_header = tab.locator(".table-scroll th").last
    last_header.scroll_into_view_if_needed()
    box = last_header.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1
    context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_previews_an_uploaded_file_and_its_errors_accessibly(
    browser, live_server, demo_ids, width
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    tab = context.new_page()
    _sign_in(tab)
    tab.goto("/value/usage/import/")
    tab.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": "usage.csv",
                "mimeType": "text/csv",
                "buffer": b"Customer ID,Date,Event,Count\nNO-SUCH-ACCOUNT,2026-01-05,logins,3\n",
            }
        ]
    )
    tab.get_by_role("button", name="Check file").click()
    errors = tab.get_by_role("table", name="Each error with its spreadsheet row and field")
    expect(errors).to_contain_text("NO-SUCH-ACCOUNT")
    assert _shown_problems(tab, "the usage preview", width) == []
    context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_sets_each_participant_beside_its_checkbox_and_confirms_a_save_accessibly(
    browser, live_server, demo_ids, width
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    tab = context.new_page()
    _sign_in(tab)
    tab.goto(f"/interactions/{demo_ids['meeting']}/")
    participants = tab.get_by_role("group", name="Participants")
    checkbox = participants.get_by_role("checkbox").first
    label = participants.locator("label").first
    box, text = checkbox.bounding_box(), label.bounding_box()
    assert box["x"] + box["width"] <= text["x"], "the checkbox sits left of its label"
    assert box["y"] < text["y"] + text["height"] and text["y"] < box["y"] + box["height"]

    tab.get_by_role("button", name="Save").click()
    expect(tab.get_by_role("status")).to_contain_text("Interaction saved.")
    assert _shown_problems(tab, "the timeline after a save", width) == []
    context.close()
