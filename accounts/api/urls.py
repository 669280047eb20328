from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api.ingest_views import AccountBulkView, ArrMovementBulkView
from accounts.api.views import AccountViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="api-account")

urlpatterns = [
    path("accounts/bulk/", AccountBulkView.as_view(), name="api-account-bulk"),
    path("arr-movements/bulk/", ArrMovementBulkView.as_view(), name="api-arr-movement-bulk"),
    *router.urls,
]
