from django.urls import path

from playbooks.segments import views

urlpatterns = [
    path("settings/segments/", views.segment_rules, name="segment_rules"),
    path(
        "settings/segments/changes.csv",
        views.segment_changes_export,
        name="segment_changes_export",
    ),
    path("settings/segments/rules/new/", views.segment_rule_edit, name="segment_rule_create"),
    path(
        "settings/segments/rules/<int:rule_id>/", views.segment_rule_edit, name="segment_rule_edit"
    ),
    path(
        "settings/segments/rules/<int:rule_id>/delete/",
        views.segment_rule_delete,
        name="segment_rule_delete",
    ),
    path("settings/segments/runs/", views.segmentation_run, name="segmentation_run"),
    path(
        "settings/segments/runs/<int:run_id>/",
        views.segmentation_run_detail,
        name="segmentation_run_detail",
    ),
    path(
        "settings/segments/runs/<int:run_id>/progress/",
        views.segmentation_run_progress,
        name="segmentation_run_progress",
    ),
    path(
        "leaders/capacity/<int:membership_id>/",
        views.csm_capacity_edit,
        name="csm_capacity_edit",
    ),
    path("leaders/rebalance/", views.rebalancing_apply, name="rebalancing_apply"),
]
