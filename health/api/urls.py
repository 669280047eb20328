from django.urls import path
from rest_framework.routers import SimpleRouter

from health.api.ingest_views import SupportTicketBulkView, SurveyResponseBulkView
from health.api.views import HealthSnapshotViewSet

router = SimpleRouter()
router.register("health-snapshots", HealthSnapshotViewSet, basename="api-health-snapshot")

urlpatterns = [
    path("support-tickets/bulk/", SupportTicketBulkView.as_view(), name="api-support-ticket-bulk"),
    path(
        "survey-responses/bulk/", SurveyResponseBulkView.as_view(), name="api-survey-response-bulk"
    ),
    *router.urls,
]
