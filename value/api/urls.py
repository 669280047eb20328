from django.urls import path
from rest_framework.routers import SimpleRouter

from value.api.ingest_views import ProductEventView, UsageBulkView
from value.api.views import EvidenceViewSet, ValueCoverageView

router = SimpleRouter()
router.register("evidence", EvidenceViewSet, basename="api-evidence")

urlpatterns = [
    path("usage-records/bulk/", UsageBulkView.as_view(), name="api-usage-record-bulk"),
    path("product-events/", ProductEventView.as_view(), name="api-product-events"),
    path("value-coverage/", ValueCoverageView.as_view(), name="api-value-coverage"),
    *router.urls,
]
