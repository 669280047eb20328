"""The health model editor: leader-readable fields, each refusal on its field, a preview that
is the backtest of the draft beside the published version, and audited, versioned publishing."""

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from csos.models import AuditEvent
from csos.tenancy import workspace_scope
from health import quality, selectors, services
from health.backtests import health_model_preview
from health.models import HealthModel
from health.scoring import iso_week
from tests.health.factories import model_post, renewal_with_score
from tests.health.test_backtests import _enterprise_model, history  # noqa: F401


@pytest.fixture
def default_model(alpha):
    with workspace_scope(alpha):
        return services.health_model_default_ensure(workspace=alpha)


def _edit(client, model, data):
    return client.post(reverse("health_model_edit", args=[model.pk]), data)


@pytest.mark.parametrize(
    ("weights", "overrides", "field", "message"),
    [
        (
            {"usage_vs_contract": 60, "support_burden": 30},
            {},
            "weight__usage_vs_contract",
            "The weights sum to 90%, not 100%.",
        ),
        (
            {"usage_vs_contract": 100},
            {"red_below": 80, "green_above": 70},
            "red_below",
            "Red below 80 overlaps Green above 70",
        ),
        (
            {"usage_vs_contract": 100, "crystal_ball": 0},
            {},
            "dimensions",
            "Select a valid choice. crystal_ball is not one of the available choices.",
        ),
    ],
    ids=["weights-not-100", "overlapping-thresholds", "unknown-dimension"],
)
def test_it_refuses_a_bad_model_on_the_field_at_fault_and_saves_nothing(
    login, alice, default_model, weights, overrides, field, message
):
    response = _edit(
        login(alice), default_model, model_post(default_model, weights=weights, **overrides)
    )
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    default_model.refresh_from_db()
    assert default_model.version == 1


def test_it_labels_every_field_for_a_leader_without_calculator_names_or_json(
    login, alice, default_model
):
    page = login(alice).get(reverse("health_model_edit", args=[default_model.pk]))
    form = page.context["form"]
    labels = " ".join(str(field.label) for field in form)
    assert "_" not in labels and "{" not in labels
    assert "Share of seats active that earns full marks (%)" in labels
    assert "<textarea" not in page.content.decode()


def test_it_publishes_a_new_version_with_its_weights_and_targets_and_audits_it(
    login, alice, default_model
):
    data = model_post(
        default_model,
        weights={"usage_vs_contract": 70, "support_burden": 30},
        target__usage_vs_contract__target_ratio=60,
        segments=[],
    )
    assert _edit(login(alice), default_model, data).status_code == 302
    default_model.refresh_from_db()
    assert default_model.version == 2
    assert [(d["key"], d["weight"]) for d in default_model.dimensions] == [
        ("usage", 70),
        ("support", 30),
    ]
    assert default_model.dimensions[0]["params"]["target_ratio"] == pytest.approx(0.6)
    event = AuditEvent.dangerously_unscoped.get(action="health_model.publish")
    assert (event.actor, event.before["version"], event.after["version"]) == (alice, 1, 2)


def test_it_keeps_the_editor_from_leaders_and_csms_and_other_workspaces(
    login, lena, bob, charlie, default_model
):
    url = reverse("health_model_edit", args=[default_model.pk])
    assert login(bob).get(url).status_code == 403
    assert login(lena).get(url).status_code == 403
    assert login(charlie).get(url).status_code == 404


@pytest.mark.usefixtures("history")
def test_it_previews_the_backtest_of_the_draft_beside_the_published_model(
    alpha, login, alice, default_model
):
    data = model_post(
        default_model, weights={"usage_vs_contract": 50, "support_burden": 50}, action="preview"
    )
    response = _edit(login(alice), default_model, data)
    assert response.status_code == 200
    preview = response.context["preview"]
    default_model.refresh_from_db()
    assert default_model.version == 1  # a preview publishes nothing
    form = response.context["form"]
    draft = services.scoring_model_of(
        HealthModel(**form.model_fields(), dimensions=form.model_dimensions())
    )
    today = timezone.localdate()
    with workspace_scope(alpha):
        outcomes, snapshots = selectors.renewal_history(today=today)
    seed = [default_model.pk, iso_week(today).toordinal()]
    for model, figures in (
        (draft, preview["draft"]),
        (services.scoring_model_of(default_model), preview["published"]),
    ):
        expected, _renewals = quality.backtest(
            outcomes, snapshots, model, rng=np.random.default_rng(seed)
        )
        assert figures == expected
    assert 'data-auc="draft"' in response.content.decode()


def test_it_previews_a_segment_model_on_its_own_segments_renewals(alpha, history):  # noqa: F811
    enterprise = _enterprise_model(alpha)
    with workspace_scope(alpha):
        preview = health_model_preview(
            model=enterprise,
            draft=services.scoring_model_of(enterprise),
            segments=["enterprise"],
            today=timezone.localdate(),
            draws=20,
        )
    at_90 = preview["draft"]["horizons"][0]
    assert at_90["fit"]["renewals"] + at_90["report"]["renewals"] == len(history["enterprise"])
    assert preview["draft"] == preview["published"]
    assert preview["band_changes"]["changed"] == 0


def test_it_counts_the_accounts_whose_latest_band_the_draft_changes(alpha, default_model):
    with workspace_scope(alpha):
        for usage in (2, 6, 9):
            renewal_with_score(alpha, churned=False, usage=usage)
        # Green above 55 moves the account scoring 60 from Yellow to Green.
        draft = services.scoring_model_of(default_model)
        draft = type(draft)(dimensions=draft.dimensions, green_above=55, red_below=50)
        preview = health_model_preview(
            model=default_model, draft=draft, segments=[], today=timezone.localdate(), draws=20
        )
    assert preview["band_changes"] == {"accounts": 3, "changed": 1}
