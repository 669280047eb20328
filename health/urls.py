from django.urls import path

from csos.imports.urls import import_urls
from health import survey_views, views
from health.imports import SURVEY_SPEC, TICKET_SPEC

urlpatterns = [
    path("accounts/<int:account_id>/signals/", views.account_signals, name="account_signals"),
    path("accounts/<int:account_id>/surveys/send/", survey_views.survey_send, name="survey_send"),
    path("survey/<str:token>/", survey_views.survey_answer, name="survey_answer"),
    path(
        "accounts/<int:account_id>/health/override/",
        views.health_override,
        name="health_override",
    ),
    path(
        "accounts/<int:account_id>/health/judgement/",
        views.health_judgement,
        name="health_judgement",
    ),
    path(
        "accounts/<int:account_id>/children.csv",
        views.account_children_csv,
        name="account_children_csv",
    ),
    *import_urls("health/imports/tickets/", kind=TICKET_SPEC.kind, name="ticket_import"),
    *import_urls("health/imports/surveys/", kind=SURVEY_SPEC.kind, name="survey_import"),
    path("health/models/", views.health_models, name="health_models"),
    path("health/models/new/", views.health_model_edit, name="health_model_create"),
    path("health/models/<int:model_id>/", views.health_model_edit, name="health_model_edit"),
    path("health/quality/", views.health_quality, name="health_quality"),
    path(
        "health/quality/<int:backtest_id>/renewals/",
        views.health_quality_renewals,
        name="health_quality_renewals",
    ),
    path("health/recompute/", views.health_recompute, name="health_recompute"),
    path(
        "health/recompute/<int:recompute_id>/",
        views.health_recompute_detail,
        name="health_recompute_detail",
    ),
    path(
        "health/recompute/<int:recompute_id>/progress/",
        views.health_recompute_progress,
        name="health_recompute_progress",
    ),
]
