from django.urls import path

from value.api.ingest_views import UsageBulkView

urlpatterns = [
    path("usage-records/bulk/", UsageBulkView.as_view(), name="api-usage-record-bulk"),
]
