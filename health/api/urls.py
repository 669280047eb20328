from django.urls import path

from health.api.ingest_views import SupportTicketBulkView, SurveyResponseBulkView

urlpatterns = [
    path("support-tickets/bulk/", SupportTicketBulkView.as_view(), name="api-support-ticket-bulk"),
    path(
        "survey-responses/bulk/", SurveyResponseBulkView.as_view(), name="api-survey-response-bulk"
    ),
]
