"""The demo's value data, built by the whole default pipeline as `manage.py demo_workspace` does."""

from datetime import date

import pytest

from accounts.demo import DemoOptions, demo_workspace_build
from csos.tenancy import workspace_scope
from stakeholders.models import Stakeholder, StakeholderRole
from value.models import AccountUseCase, Evidence
from value.selectors.ladder_inputs import ladder_frame

TODAY = date(2026, 5, 15)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    options = DemoOptions(today=TODAY, seed=3, accounts=80, csms=3, slug="demo-value")
    return demo_workspace_build(options=options).workspace


def test_it_has_roi_answered_by_owners_only_and_stops_accounts_without_one_at_level_three(demo):
    """Stored levels are the ladder's own once the build is done: ROI claims without an Owner
    would have counted when written and stopped counting when the stakeholders arrived."""
    claims = Evidence.dangerously_unscoped.filter(workspace=demo, level=4, status="proven")
    assert claims.count() > 0
    for claim in claims.select_related("confirmed_by_stakeholder", "confirmation__stakeholder"):
        owner = claim.confirmed_by_stakeholder
        assert owner is not None, claim.claim
        assert (owner.account_id, owner.role, owner.left_on) == (
            claim.account_id,
            StakeholderRole.OWNER,
            None,
        )
        assert claim.confirmed_by_name == owner.name
        # Proven only by the Owner's own answer to a link addressed to them.
        answer = claim.confirmation
        assert (answer.stakeholder, answer.confirmer_email, answer.outcome) == (
            owner,
            owner.email,
            "confirmed",
        )
        assert (answer.answered_role, answer.answered_active) == ("owner", True)
        assert answer.link.used_at is not None
    owned = Stakeholder.dangerously_unscoped.filter(
        workspace=demo, role=StakeholderRole.OWNER, left_on=None
    ).values("account_id")
    pursuits = AccountUseCase.dangerously_unscoped.filter(workspace=demo)
    assert pursuits.filter(level=4).exists()
    assert not pursuits.filter(level=4).exclude(account_id__in=owned).exists()
    assert pursuits.exclude(account_id__in=owned).filter(level=3).exists()
    with workspace_scope(demo):
        computed = ladder_frame(account_ids=None, as_of=TODAY)
    stored = {(p.account_id, p.use_case_id): p.level for p in pursuits}
    keys = zip(computed["account_id"], computed["use_case_id"], strict=True)
    assert stored == dict(zip(keys, computed["level"], strict=True))
