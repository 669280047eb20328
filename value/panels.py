"""The account page's and the prep sheet's value panels: each context a selector call with a
fixed query count (registered from ``value.apps``)."""

from accounts.models import Account
from accounts.services import account_can_edit
from value import selectors
from value.forms import AccountUseCasesForm
from value.models import EvidenceStatus


def retention_artifact_panel(*, request, account: Account) -> dict:
    """The account page's first panel: three queries (pursuits, evidence, action)."""
    return {
        **selectors.retention_artifact(account=account),
        "account": account,
        "can_edit": account_can_edit(membership=request.membership, account=account),
    }


def prep_value_panel(*, request, account: Account) -> dict:
    """The prep sheet's proven value and disputed claims, read as the retention artifact reads
    them: four queries."""
    artifact = selectors.retention_artifact(account=account)
    disputed = [
        item for item in artifact["unproven"] if item["evidence"].status == EvidenceStatus.DISPUTED
    ]
    return {"proven": artifact["proven"], "disputed": disputed}


def value_ladder_panel(*, request, account: Account) -> dict:
    """The account's stored ladder per pursued use case, and the choice of use cases."""
    rows = selectors.account_ladder(account=account)
    return {
        "account": account,
        "rows": rows,
        "freshness": selectors.ladder_freshness(pursuits=[row.pursuit for row in rows]),
        "use_cases_form": AccountUseCasesForm(
            initial={"use_cases": [row.pursuit.use_case_id for row in rows]}
        ),
        "can_edit": account_can_edit(membership=request.membership, account=account),
    }
