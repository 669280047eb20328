from django.urls import path

from csos.imports.urls import import_urls
from value import coverage_views, views
from value.usage_import import USAGE_SPEC

urlpatterns = [
    path("value/framework/", views.framework, name="value_framework"),
    path("value/framework/use-cases/new/", views.use_case_edit, name="value_use_case_create"),
    path(
        "value/framework/use-cases/<int:use_case_id>/",
        views.use_case_edit,
        name="value_use_case_edit",
    ),
    path("value/framework/metrics/new/", views.metric_edit, name="value_metric_create"),
    path("value/framework/metrics/<int:metric_id>/", views.metric_edit, name="value_metric_edit"),
    path(
        "value/framework/event-mappings/new/",
        views.event_mapping_edit,
        name="value_event_mapping_create",
    ),
    path(
        "value/framework/event-mappings/<int:mapping_id>/",
        views.event_mapping_edit,
        name="value_event_mapping_edit",
    ),
    path(
        "value/framework/event-mappings/<int:mapping_id>/delete/",
        views.event_mapping_delete,
        name="value_event_mapping_delete",
    ),
    path("value/framework/settings/", views.value_settings_edit, name="value_settings"),
    *import_urls("value/usage/import/", kind=USAGE_SPEC.kind, name="value_usage_import"),
    path("value/coverage/", coverage_views.coverage, name="value_coverage"),
    path(
        "value/coverage/accounts/", coverage_views.coverage_accounts, name="value_coverage_accounts"
    ),
    path("value/coverage.csv", coverage_views.coverage_csv, name="value_coverage_csv"),
    path(
        "accounts/<int:account_id>/use-cases/",
        views.account_use_cases,
        name="value_account_use_cases",
    ),
    path(
        "accounts/<int:account_id>/evidence/new/",
        views.evidence_create,
        name="value_evidence_create",
    ),
    path(
        "accounts/<int:account_id>/next-action/",
        views.retention_artifact_edit,
        name="value_retention_artifact",
    ),
    path("value/evidence/<int:evidence_id>/", views.evidence_detail, name="value_evidence"),
    path(
        "value/evidence/<int:evidence_id>/confirmation/",
        views.evidence_confirmation_send,
        name="value_confirmation_send",
    ),
    path("confirm/<str:token>/", views.confirm, name="value_confirm"),
]
