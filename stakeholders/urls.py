from django.urls import path

from csos.imports.urls import import_urls
from stakeholders.people_import import STAKEHOLDER_SPEC
from stakeholders.views import conversations, people, plans

urlpatterns = [
    path(
        "accounts/<int:account_id>/stakeholders/",
        people.stakeholder_map,
        name="stakeholder_map",
    ),
    path(
        "accounts/<int:account_id>/stakeholders/new/",
        people.stakeholder_create,
        name="stakeholder_create",
    ),
    *import_urls("stakeholders/import/", kind=STAKEHOLDER_SPEC.kind, name="stakeholder_import"),
    path("stakeholders/<int:stakeholder_id>/", people.stakeholder_edit, name="stakeholder_edit"),
    path(
        "stakeholders/<int:stakeholder_id>/delete/",
        people.stakeholder_delete,
        name="stakeholder_delete",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/export/",
        people.stakeholder_export,
        name="stakeholder_export",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/erase/",
        people.stakeholder_erase,
        name="stakeholder_erase",
    ),
    path(
        "settings/stakeholder-model/",
        people.stakeholder_model_settings,
        name="stakeholder_model_settings",
    ),
    path("accounts/<int:account_id>/plan/", plans.plan_editor, name="plan_editor"),
    path("accounts/<int:account_id>/plan/new/", plans.plan_create, name="plan_create"),
    path("plans/<int:plan_id>/objectives/", plans.objective_add, name="objective_add"),
    path("objectives/<int:objective_id>/", plans.objective_edit, name="objective_edit"),
    path("plans/<int:plan_id>/milestones/", plans.milestone_add, name="milestone_add"),
    path("milestones/<int:milestone_id>/status/", plans.milestone_status, name="milestone_status"),
    path("plans/<int:plan_id>/reviews/", plans.plan_review_add, name="plan_review_add"),
    path("plans/<int:plan_id>/share/", plans.plan_share, name="plan_share"),
    path("share-links/<int:link_id>/revoke/", plans.plan_share_revoke, name="plan_share_revoke"),
    path("shared/plans/<str:token>/", plans.plan_shared, name="plan_shared"),
    path("accounts/<int:account_id>/handoff/", plans.handoff_edit, name="handoff_edit"),
    path("promises/<int:promise_id>/status/", plans.promise_status, name="promise_status"),
    path("accounts/<int:account_id>/timeline/", conversations.timeline, name="timeline"),
    path(
        "accounts/<int:account_id>/interactions/new/",
        conversations.interaction_create,
        name="interaction_create",
    ),
    path(
        "interactions/<int:interaction_id>/",
        conversations.interaction_edit,
        name="interaction_edit",
    ),
    path(
        "interactions/<int:interaction_id>/prep/",
        conversations.interaction_prep,
        name="interaction_prep",
    ),
]
