from django.urls import path

from value.api.ingest_views import ProductEventView, UsageBulkView

urlpatterns = [
    path("usage-records/bulk/", UsageBulkView.as_view(), name="api-usage-record-bulk"),
    path("product-events/", ProductEventView.as_view(), name="api-product-events"),
]
