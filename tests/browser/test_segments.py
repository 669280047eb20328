"""The segment rules and the CSM load pages, filled, at a desktop and a phone width: no serious
or critical axe-core violation and no horizontal overflow; an admin previews and saves a rule."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account
from csos.models import Membership, Workspace
from csos.tenancy import workspace_scope
from playbooks.segments import services
from playbooks.segments.models import CsmCapacity, SegmentRule, SegmentSettings
from tests.browser.test_accessibility import WIDTHS, _problems, _shown_problems, _sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def segment_ids(transactional_db) -> dict[str, str]:
    """The demo workspace with two rules, its accounts placed, and a team over capacity."""
    call_command("demo_workspace", "--accounts", "40", "--csms", "2", "--seed", "3", verbosity=0)
    workspace = Workspace.objects.get()
    with workspace_scope(workspace):
        rule = SegmentRule.objects.create(
            workspace=workspace,
            name="Executive attention",
            priority=1,
            match="any",
            clauses=[
                {"field": "executive_visibility", "op": "gte", "value": 4},
                {"field": "health_band", "op": "in", "value": ["red"]},
            ],
            motion="strategic",
            value_problem="risk_governance",
        )
        SegmentSettings.objects.create(workspace=workspace, default_capacity=5)
        Account.objects.filter(pk__in=Account.objects.order_by("pk")[:8]).update(
            executive_visibility=5
        )
        services.segmentation_apply(workspace=workspace, today=timezone.localdate())
        csm = Membership.objects.filter(role="csm").order_by("pk").first()
        CsmCapacity.objects.create(
            workspace=workspace, membership=csm, capacity=60, motions=["pooled", "named"]
        )
        account = Account.objects.filter(motion="strategic").order_by("pk").first()
    return {"rule": str(rule.pk), "membership": str(csm.pk), "account": str(account.pk)}


PAGES = [
    "/settings/segments/",
    "/settings/segments/rules/new/",
    "/settings/segments/rules/{rule}/",
    "/leaders/csm-load/",
    "/leaders/csm-load/?suggest=1",
    "/leaders/capacity/{membership}/",
    "/accounts/{account}/",
]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_passes_axe_without_overflow_on_the_segment_and_load_pages(
    browser, live_server, segment_ids, width
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    tab = context.new_page()
    _sign_in(tab)
    problems = []
    for path in PAGES:
        problems += _problems(tab, path.format(**segment_ids), width)
    # The dry run's table, as an admin sees it before saving.
    tab.goto(f"/settings/segments/rules/{segment_ids['rule']}/")
    tab.get_by_role("button", name="Preview changes").click()
    tab.wait_for_selector("#dry-run")
    problems += _shown_problems(tab, "the rule's dry run", width)
    context.close()
    assert problems == [], "\n".join(problems)
