from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api.ingest_views import AccountBulkView
from accounts.api.views import AccountViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="api-account")

urlpatterns = [
    path("accounts/bulk/", AccountBulkView.as_view(), name="api-account-bulk"),
    *router.urls,
]
